/**
 * Network namespaces for tests that need broadcast DHCP or real clients.
 * Every namespace is named `lbd-<run id>-<short name>` (the prefix marks it as
 * ours), gets its own /etc/netns/NAME/resolv.conf (so `ip netns exec` never
 * lets a client script touch the host's resolver), and is removed by name in
 * `cleanup()`, together with every process still running inside it (all of
 * them were started by the test, inside a namespace it created).
 * Addresses must come from 198.18.0.0/15 (RFC 2544 benchmarking space);
 * `addr` refuses anything else.
 */
import { execFile, spawn, type ChildProcess, type SpawnOptions } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { promisify } from "node:util";
import { requireTool } from "./tools.js";

const run = promisify(execFile);

export const NETNS_PREFIX = "lbd";

export interface ExecResult {
  readonly stdout: string;
  readonly stderr: string;
}

/** A command failed: keeps what it printed, for the test's message. */
export class CommandError extends Error {
  constructor(readonly argv: readonly string[], readonly stdout: string, readonly stderr: string, cause: unknown) {
    super(`${argv.join(" ")} failed: ${stderr.trim() || String(cause)}`, { cause });
  }
}

async function sh(argv: readonly string[], timeoutMs = 30_000): Promise<ExecResult> {
  requireTool(argv[0]!);
  try {
    const r = await run(argv[0]!, argv.slice(1), { timeout: timeoutMs, maxBuffer: 64 << 20 });
    return { stdout: r.stdout, stderr: r.stderr };
  } catch (e) {
    const err = e as { stdout?: string; stderr?: string };
    throw new CommandError(argv, err.stdout ?? "", err.stderr ?? "", e);
  }
}

const LAB_RANGE = /^198\.(18|19)\.\d{1,3}\.\d{1,3}(\/\d{1,2})?$/;

function checkLabAddress(cidr: string): void {
  if (!LAB_RANGE.test(cidr)) throw new Error(`netns: ${cidr} is outside 198.18.0.0/15`);
}

export class Namespace {
  private readonly children = new Set<ChildProcess>();
  constructor(readonly name: string) {}

  /** Run a command inside the namespace and wait for it. */
  exec(argv: readonly string[], timeoutMs?: number): Promise<ExecResult> {
    requireTool(argv[0]!);
    return sh(["ip", "netns", "exec", this.name, ...argv], timeoutMs);
  }

  /** Start a long-running command inside the namespace; cleanup() stops it. */
  spawn(argv: readonly string[], options: SpawnOptions = {}): ChildProcess {
    requireTool(argv[0]!);
    const child = spawn("ip", ["netns", "exec", this.name, ...argv], { stdio: ["ignore", "pipe", "pipe"], ...options });
    this.children.add(child);
    child.on("exit", () => this.children.delete(child));
    return child;
  }

  /** Add an address to an interface of this namespace (198.18.0.0/15 only). */
  async addr(ifname: string, cidr: string): Promise<void> {
    checkLabAddress(cidr);
    await this.exec(["ip", "addr", "add", cidr, "dev", ifname]);
  }

  async route(dest: string, via: string): Promise<void> {
    if (dest !== "default") checkLabAddress(dest);
    checkLabAddress(via);
    await this.exec(["ip", "route", "add", dest, "via", via]);
  }

  /** PIDs of every process in the namespace. */
  async pids(): Promise<number[]> {
    const r = await sh(["ip", "netns", "pids", this.name]);
    return r.stdout.split("\n").filter((s) => s.trim() !== "").map(Number);
  }

  /** Stop what we started here: SIGTERM, then SIGKILL whatever is left. */
  async stopAll(): Promise<void> {
    for (const c of this.children) if (c.exitCode === null && c.pid !== undefined) c.kill("SIGTERM");
    const deadline = Date.now() + 2000;
    let left = await this.pids().catch(() => []);
    for (const pid of left) tryKill(pid, "SIGTERM");
    while (left.length > 0 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 50));
      left = await this.pids().catch(() => []);
    }
    for (const pid of left) tryKill(pid, "SIGKILL");
  }
}

function tryKill(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(pid, signal);
  } catch {
    // already gone
  }
}

/** A set of namespaces created together and removed together. */
export class Lab {
  readonly id: string;
  private readonly namespaces: Namespace[] = [];

  constructor(tag: string) {
    this.id = `${tag.replace(/[^a-z0-9]/gi, "").slice(0, 8)}${randomBytes(3).toString("hex")}`;
  }

  /** Create a namespace with loopback up and its own resolv.conf. */
  async namespace(short: string): Promise<Namespace> {
    const ns = new Namespace(`${NETNS_PREFIX}-${this.id}-${short}`);
    this.namespaces.push(ns);
    await sh(["ip", "netns", "add", ns.name]);
    mkdirSync(`/etc/netns/${ns.name}`, { recursive: true });
    writeFileSync(`/etc/netns/${ns.name}/resolv.conf`, "# laggboot test namespace: no resolver\n");
    await ns.exec(["ip", "link", "set", "lo", "up"]);
    return ns;
  }

  /**
   * A veth pair between two namespaces, created inside them (never in the
   * host namespace, so parallel tests cannot collide on interface names).
   */
  async veth(a: Namespace, aIf: string, b: Namespace, bIf: string): Promise<void> {
    await sh(["ip", "-n", a.name, "link", "add", aIf, "type", "veth", "peer", "name", bIf, "netns", b.name]);
    await a.exec(["ip", "link", "set", aIf, "up"]);
    await b.exec(["ip", "link", "set", bIf, "up"]);
  }

  /**
   * The usual test link: a server namespace "srv" (interface s0, holding
   * `serverCidr`) and a client namespace "cli" (interface c0, no address).
   */
  async serverAndClient(serverCidr: string): Promise<{ srv: Namespace; cli: Namespace }> {
    const srv = await this.namespace("srv");
    const cli = await this.namespace("cli");
    await this.veth(srv, "s0", cli, "c0");
    await srv.addr("s0", serverCidr);
    return { srv, cli };
  }

  /** A bridge inside `ns` (a switch joining several namespaces on one link). */
  async bridge(ns: Namespace, name: string): Promise<void> {
    await ns.exec(["ip", "link", "add", name, "type", "bridge"]);
    await ns.exec(["ip", "link", "set", name, "up"]);
  }

  /** Plug `other` into the bridge in `sw` by a veth: `otherIf` on its side, `swIf` enslaved on the switch side. */
  async plug(sw: Namespace, bridge: string, swIf: string, other: Namespace, otherIf: string): Promise<void> {
    await this.veth(sw, swIf, other, otherIf);
    await sw.exec(["ip", "link", "set", swIf, "master", bridge]);
  }

  /** Stop every process inside, delete the namespaces and their /etc/netns dirs. Never throws. */
  async cleanup(): Promise<void> {
    for (const ns of this.namespaces.reverse()) {
      await ns.stopAll().catch(() => undefined);
      await sh(["ip", "netns", "del", ns.name]).catch(() => undefined);
      rmSync(`/etc/netns/${ns.name}`, { recursive: true, force: true });
    }
    this.namespaces.length = 0;
  }
}

/** Run `body` with a fresh lab; the lab is cleaned up whatever happens. */
export async function withLab<T>(tag: string, body: (lab: Lab) => Promise<T>): Promise<T> {
  const lab = new Lab(tag);
  try {
    return await body(lab);
  } finally {
    await lab.cleanup();
  }
}

/** Wait for a child to exit (or kill it after `timeoutMs`); returns its exit code. */
export function waitExit(child: ChildProcess, timeoutMs: number): Promise<number | null> {
  return new Promise((resolve) => {
    if (child.exitCode !== null) return resolve(child.exitCode);
    const t = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
    child.on("exit", (code) => {
      clearTimeout(t);
      resolve(code);
    });
  });
}
