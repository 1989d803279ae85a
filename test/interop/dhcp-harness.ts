/**
 * Shared pieces of the DHCP interop tests: start the test server entry
 * (test/support/dhcp-server-main.ts) inside a namespace, talk to it over
 * stdin/stdout, and run a probe client. All processes run in namespaces the
 * test created; the lab's cleanup stops them.
 */
import assert from "node:assert/strict";
import { once } from "node:events";
import { chmodSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { ChildProcess } from "node:child_process";
import { waitExit, type Namespace } from "../support/netns.js";
import type { ServerMainConfig } from "../support/dhcp-server-main.js";

const serverMain = fileURLToPath(new URL("../support/dhcp-server-main.js", import.meta.url));
const probeMain = fileURLToPath(new URL("../integration/dhcp-probe-child.js", import.meta.url));

export interface RunningServer {
  readonly child: ChildProcess;
  /** Every event line the server printed so far. */
  readonly events: Record<string, unknown>[];
  counters(): Promise<Record<string, unknown>>;
  stop(): Promise<Record<string, unknown>>;
}

export function tempDir(tag: string): string {
  return mkdtempSync(join(tmpdir(), `lb-${tag}-`));
}

export async function startLaggboot(ns: Namespace, dir: string, config: ServerMainConfig): Promise<RunningServer> {
  const file = join(dir, "server.json");
  writeFileSync(file, JSON.stringify(config));
  const child = ns.spawn([process.execPath, serverMain, file], { stdio: ["pipe", "pipe", "inherit"] });
  const events: Record<string, unknown>[] = [];
  const waiters: ((v: Record<string, unknown>) => void)[] = [];
  let ready: () => void = () => undefined;
  const readyP = new Promise<void>((r) => { ready = r; });
  let buf = "";
  child.stdout!.setEncoding("utf8");
  child.stdout!.on("data", (chunk: string) => {
    buf += chunk;
    let nl: number;
    while ((nl = buf.indexOf("\n")) >= 0) {
      const line = buf.slice(0, nl);
      buf = buf.slice(nl + 1);
      if (line === "READY") { ready(); continue; }
      const v = JSON.parse(line) as Record<string, unknown>;
      if (typeof v["type"] === "string") events.push(v);
      else waiters.shift()?.(v);
    }
  });
  const exited = once(child, "exit").then(() => { throw new Error("laggboot test server exited before READY"); });
  await Promise.race([readyP, exited]);
  exited.catch(() => undefined);
  const ask = (line: string): Promise<Record<string, unknown>> => new Promise((resolve) => {
    waiters.push(resolve);
    child.stdin!.write(`${line}\n`);
  });
  return { child, events, counters: () => ask("counters"), stop: () => ask("stop") };
}

export interface Received { readonly from: string; readonly port: number; readonly bytes: Uint8Array }

/** Send packets from `ns` and collect what comes back within `listenMs`. */
export async function probe(ns: Namespace, o: {
  bind: { address: string; port: number }; sendFrom?: string; sends: { to: string; port: number; bytes: Uint8Array }[]; listenMs?: number;
}): Promise<Received[]> {
  const child = ns.spawn([process.execPath, probeMain, JSON.stringify({
    bind: o.bind, sendFrom: o.sendFrom, listenMs: o.listenMs ?? 1000,
    sends: o.sends.map((s) => ({ to: s.to, port: s.port, hex: Buffer.from(s.bytes).toString("hex") })),
  })], { stdio: ["ignore", "pipe", "inherit"] });
  let out = "";
  child.stdout!.setEncoding("utf8");
  child.stdout!.on("data", (c: string) => { out += c; });
  assert.equal(await waitExit(child, 15_000), 0, "probe failed");
  return out.split("\n").filter((l) => l !== "").map((l) => {
    const r = JSON.parse(l) as { from: string; port: number; hex: string };
    return { from: r.from, port: r.port, bytes: Uint8Array.from(Buffer.from(r.hex, "hex")) };
  });
}

/** KEY=VALUE lines (as `env` prints them) into a map. */
export function parseEnv(text: string): Map<string, string> {
  const m = new Map<string, string>();
  for (const line of text.split("\n")) {
    const eq = line.indexOf("=");
    if (eq > 0) m.set(line.slice(0, eq), line.slice(eq + 1));
  }
  return m;
}

export async function setMac(ns: Namespace, ifname: string, mac: string): Promise<void> {
  await ns.exec(["ip", "link", "set", ifname, "down"]);
  await ns.exec(["ip", "link", "set", ifname, "address", mac]);
  await ns.exec(["ip", "link", "set", ifname, "up"]);
}

/**
 * busybox udhcpc on c0 of `cli` with `mac`: one try of three DISCOVERs, 1 s
 * apart. Returns its exit code and the environment its script saw on
 * "bound" (undefined when it got no lease). Asks for root-path and host-name.
 */
export async function udhcpc(cli: Namespace, dir: string, mac: string, tag: string): Promise<{ code: number | null; env: Map<string, string> | undefined }> {
  await setMac(cli, "c0", mac);
  const script = join(dir, `udhcpc-${tag}.sh`);
  writeFileSync(script, `#!/bin/sh\nenv > "${dir}/udhcpc-${tag}-$1.env"\n`);
  chmodSync(script, 0o755);
  const child = cli.spawn(["busybox", "udhcpc", "-i", "c0", "-f", "-q", "-n", "-t", "3", "-T", "1", "-s", script,
    "-O", "rootpath", "-O", "hostname"], { stdio: ["ignore", "ignore", "ignore"] });
  const code = await waitExit(child, 20_000);
  const file = join(dir, `udhcpc-${tag}-bound.env`);
  return { code, env: existsSync(file) ? parseEnv(readFileSync(file, "utf8")) : undefined };
}

/** Starts a server in the foreground in `ns` and waits for its ready line (or fails with what it printed). */
export async function startForeground(ns: Namespace, s: { argv: string[]; env?: Record<string, string>; ready: RegExp }): Promise<ChildProcess> {
  const child = ns.spawn(s.argv, { stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, ...s.env } });
  let out = "";
  await new Promise<void>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`${s.argv[0]} not ready after 15 s:\n${out}`)), 15_000);
    const onData = (d: Buffer): void => {
      out += d.toString();
      if (s.ready.test(out)) {
        clearTimeout(t);
        resolve();
      }
    };
    child.stdout!.on("data", onData);
    child.stderr!.on("data", onData);
    child.on("exit", (code) => {
      clearTimeout(t);
      reject(new Error(`${s.argv[0]} exited (${code}):\n${out}`));
    });
  });
  child.removeAllListeners("exit");
  return child;
}
