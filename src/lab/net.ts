/**
 * The lab's network: a server namespace and a client namespace joined by a
 * veth pair; in the client namespace a bridge holds the veth end and a tap for
 * QEMU. Every name starts with `lbq` plus a random run id, so parallel runs do
 * not collide and cleanup deletes exactly what this run created. Addresses
 * come from 198.18.0.0/15 (RFC 2544 benchmarking space), never the host's.
 *
 *   [server ns lbqXXXXXs]                 [client ns lbqXXXXXc]
 *    lbqXXXXXa 198.18.N.1/24 ==veth== lbqXXXXXb -- br0 -- tap0 -- QEMU
 *    (fd00:198:18:N::1/64 for router advertisements)
 *
 * `ip netns exec` bind-mounts /etc/netns/NAME/resolv.conf over
 * /etc/resolv.conf when it exists: we create it so nothing run inside can
 * touch the host's resolver.
 */
import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { run, start, type ExecResult, type ManagedProcess, type StartOptions } from "./proc.js";

export const LAB_PREFIX = "lbq";

export interface LabAddresses {
  /** The server's address on the lab link, e.g. 198.18.42.1. */
  readonly serverIp: string;
  /** The address the client's reservation gives it, e.g. 198.18.42.10. */
  readonly clientIp: string;
  readonly prefixLength: number;
  readonly netmask: string;
  /** The subnet in CIDR form, e.g. 198.18.42.0/24. */
  readonly subnet: string;
  /** A small dynamic pool, for servers that want one. */
  readonly poolStart: string;
  readonly poolEnd: string;
  /** Unique-local IPv6 address on the server's link (for an RA sender). */
  readonly serverIp6: string;
}

export interface LabNamespace {
  readonly name: string;
  /** Run a command inside and wait for it. */
  exec(argv: readonly string[], timeoutMs?: number): Promise<ExecResult>;
  /** Start a long-running command inside; the lab stops it on close(). */
  spawn(argv: readonly string[], options?: StartOptions): ManagedProcess;
}

export interface LabNet {
  readonly id: string;
  readonly server: LabNamespace;
  readonly client: LabNamespace;
  /** The server's end of the veth (in the server namespace). */
  readonly serverIf: string;
  /** The client's end of the veth (in the client namespace, on the bridge). */
  readonly clientIf: string;
  readonly bridge: string;
  readonly tap: string;
  /** Every tap on the bridge, `tap` first (more with `createLabNet({ taps })`, for a client with several NICs). */
  readonly taps: readonly string[];
  /** A MAC address for the QEMU NIC, unique to this run (locally administered QEMU range). */
  readonly clientMac: string;
  readonly addresses: LabAddresses;
  /** Stop every process we started, delete both namespaces. Never throws. */
  close(): Promise<void>;
}

class Ns implements LabNamespace {
  readonly processes: ManagedProcess[] = [];
  constructor(readonly name: string) {}

  exec(argv: readonly string[], timeoutMs?: number): Promise<ExecResult> {
    return run(["ip", "netns", "exec", this.name, ...argv], timeoutMs);
  }

  spawn(argv: readonly string[], options: StartOptions = {}): ManagedProcess {
    const p = start(["ip", "netns", "exec", this.name, ...argv], options);
    this.processes.push(p);
    return p;
  }

  async create(): Promise<void> {
    await run(["ip", "netns", "add", this.name]);
    mkdirSync(`/etc/netns/${this.name}`, { recursive: true });
    writeFileSync(`/etc/netns/${this.name}/resolv.conf`, "# laggboot lab namespace: no resolver\n");
    await run(["ip", "-n", this.name, "link", "set", "lo", "up"]);
  }

  /**
   * Stop our processes by PID (SIGTERM, then SIGKILL), then anything still
   * inside the namespace: all of it was started by this run, in a namespace
   * this run created.
   */
  async destroy(): Promise<void> {
    await Promise.all(this.processes.map((p) => p.stop(2000)));
    const left = await this.pids();
    for (const pid of left) kill(pid, "SIGKILL");
    await run(["ip", "netns", "del", this.name]).catch(() => undefined);
    rmSync(`/etc/netns/${this.name}`, { recursive: true, force: true });
  }

  private async pids(): Promise<number[]> {
    const r = await run(["ip", "netns", "pids", this.name]).catch(() => ({ stdout: "" }));
    return r.stdout.split("\n").filter((s) => s.trim() !== "").map(Number);
  }
}

function kill(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch {
    // already gone
  }
}

/**
 * Last-resort cleanup: if the process exits (or is told to stop) while a lab
 * is open, a `finally` never runs. Then delete our namespaces (by name)
 * synchronously and kill what runs inside them (all started by us).
 */
const openNamespaces = new Set<string>();
/** More synchronous cleanups for the same moment (e.g. a lab's temp dir); each removes itself when done normally. */
const emergencyCleanups = new Set<() => void>();
let exitHookInstalled = false;

/** Run `fn` too if the process exits or is signalled while a lab is open; returns the unregister function. */
export function onEmergencyCleanup(fn: () => void): () => void {
  emergencyCleanups.add(fn);
  return () => emergencyCleanups.delete(fn);
}
let signalHookInstalled = false;

/** Kill what runs inside the open lab namespaces and delete them, synchronously. Never throws. */
export function removeOpenNamespacesNow(): void {
  for (const name of openNamespaces) {
    try {
      const pids = execFileSync("ip", ["netns", "pids", name], { encoding: "utf8" }).split("\n").filter((s) => s.trim() !== "");
      for (const pid of pids) kill(Number(pid), "SIGKILL");
      execFileSync("ip", ["netns", "del", name]);
    } catch {
      // best effort: the namespace may be gone already
    }
    rmSync(`/etc/netns/${name}`, { recursive: true, force: true });
  }
  openNamespaces.clear();
  for (const fn of emergencyCleanups) {
    try {
      fn();
    } catch {
      // best effort
    }
  }
  emergencyCleanups.clear();
}

/**
 * `process.on("exit")` always. SIGINT/SIGTERM only when `signals` is true (tests):
 * remove the namespaces, then die of the signal. A program with its own
 * orderly shutdown on Ctrl-C (`laggboot lab`) passes false and handles them.
 */
function installExitHook(signals: boolean): void {
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    process.on("exit", removeOpenNamespacesNow);
  }
  if (!signals || signalHookInstalled) return;
  signalHookInstalled = true;
  for (const sig of ["SIGINT", "SIGTERM"] as const) {
    process.once(sig, () => {
      removeOpenNamespacesNow();
      process.kill(process.pid, sig);
    });
  }
}

export interface LabNetOptions {
  /** Install SIGINT/SIGTERM handlers that remove the namespaces (default true). */
  readonly signalHandlers?: boolean;
  /** Taps on the client bridge, tap0, tap1...: one per QEMU NIC (default 1). Both ports of a bond sit on one L2 segment, like a switch port and an access point of one LAN. */
  readonly taps?: number;
}

/** Build the two namespaces and their link. On any failure, removes what it made. */
export async function createLabNet(options: LabNetOptions = {}): Promise<LabNet> {
  const rand = randomBytes(3);
  const id = rand.toString("hex").slice(0, 5);
  // The third octet only keeps runs apart in logs: namespaces already isolate them.
  const n = rand[0]!;
  const server = new Ns(`${LAB_PREFIX}${id}s`);
  const client = new Ns(`${LAB_PREFIX}${id}c`);
  const serverIf = `${LAB_PREFIX}${id}a`;
  const clientIf = `${LAB_PREFIX}${id}b`;
  const bridge = "br0";
  const taps = Array.from({ length: Math.max(1, options.taps ?? 1) }, (_, i) => `tap${i}`);
  const tap = taps[0]!;
  const addresses: LabAddresses = {
    serverIp: `198.18.${n}.1`,
    clientIp: `198.18.${n}.10`,
    prefixLength: 24,
    netmask: "255.255.255.0",
    subnet: `198.18.${n}.0/24`,
    poolStart: `198.18.${n}.100`,
    poolEnd: `198.18.${n}.199`,
    serverIp6: `fd00:198:18:${n.toString(16)}::1`,
  };
  const clientMac = `52:54:00:${rand.toString("hex").match(/../g)!.join(":")}`;
  const made: Ns[] = [];
  const close = async (): Promise<void> => {
    for (const ns of made.reverse()) {
      await ns.destroy().catch(() => undefined);
      openNamespaces.delete(ns.name);
    }
    made.length = 0;
  };
  try {
    for (const ns of [server, client]) {
      installExitHook(options.signalHandlers ?? true);
      openNamespaces.add(ns.name);
      made.push(ns);
      await ns.create();
    }
    // Created directly inside the namespaces: no name ever exists on the host.
    await run(["ip", "-n", server.name, "link", "add", serverIf, "type", "veth", "peer", "name", clientIf, "netns", client.name]);
    await run(["ip", "-n", server.name, "addr", "add", `${addresses.serverIp}/${addresses.prefixLength}`, "dev", serverIf]);
    await run(["ip", "-n", server.name, "addr", "add", `${addresses.serverIp6}/64`, "dev", serverIf, "nodad"]);
    await run(["ip", "-n", server.name, "link", "set", serverIf, "up"]);
    await run(["ip", "-n", client.name, "link", "add", bridge, "type", "bridge"]);
    // No STP and no forwarding delay: the bridge forwards from the first frame,
    // so the firmware's first DHCPDISCOVER is not lost.
    await run(["ip", "-n", client.name, "link", "set", bridge, "type", "bridge", "stp_state", "0", "forward_delay", "0"]);
    await run(["ip", "-n", client.name, "link", "set", clientIf, "master", bridge]);
    for (const t of taps) {
      await run(["ip", "-n", client.name, "tuntap", "add", "dev", t, "mode", "tap"]);
      await run(["ip", "-n", client.name, "link", "set", t, "master", bridge]);
    }
    for (const dev of [bridge, clientIf, ...taps]) await run(["ip", "-n", client.name, "link", "set", dev, "up"]);
  } catch (e) {
    await close();
    throw e;
  }
  return { id, server, client, serverIf, clientIf, bridge, tap, taps, clientMac, addresses, close };
}

/** True when a UDP socket is bound to `port` inside the namespace (`ss`, iproute2). */
export async function udpPortBound(ns: LabNamespace, port: number): Promise<boolean> {
  const r = await ns.exec(["ss", "-H", "-u", "-l", "-n", `sport = :${port}`]);
  return r.stdout.trim() !== "";
}

/** True when a TCP socket listens on `port` inside the namespace. */
export async function tcpPortListening(ns: LabNamespace, port: number): Promise<boolean> {
  const r = await ns.exec(["ss", "-H", "-t", "-l", "-n", `sport = :${port}`]);
  return r.stdout.trim() !== "";
}

/**
 * GET a URL from inside a namespace (the server's HTTP API listens there, out
 * of the test process's reach). Uses curl, which CI installs.
 */
export async function httpGetInNs(ns: LabNamespace, url: string, timeoutMs = 5000): Promise<string> {
  const r = await ns.exec(["curl", "-fsS", "--max-time", String(Math.ceil(timeoutMs / 1000)), url], timeoutMs + 2000);
  return r.stdout;
}
