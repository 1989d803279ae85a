/**
 * Network namespaces for the TFTP interop tests and benchmark. Names are
 * `lbtf<id>s` / `lbtf<id>c` (prefix `lbtf` marks them as the TFTP part's),
 * each gets /etc/netns/NAME/resolv.conf, addresses come only from
 * 198.18.0.0/15, and cleanup() stops the processes inside (all started by
 * us, in namespaces we created) and deletes the namespaces by name.
 */
import { execFile, spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { promisify } from "node:util";

const run = promisify(execFile);
const LAB = /^198\.1[89]\.\d{1,3}\.\d{1,3}$/;

export async function sh(argv: readonly string[], timeoutMs = 60_000): Promise<{ stdout: string; stderr: string }> {
  try {
    return await run(argv[0]!, argv.slice(1), { timeout: timeoutMs, maxBuffer: 64 << 20 });
  } catch (e) {
    const x = e as { stderr?: string; message?: string };
    throw new Error(`${argv.join(" ")}: ${x.stderr?.trim() || x.message}`, { cause: e });
  }
}

export class TftpLab {
  readonly id = randomBytes(3).toString("hex");
  readonly serverNs = `lbtf${this.id}s`;
  readonly clientNs = `lbtf${this.id}c`;
  readonly serverIp: string;
  readonly clientIp: string;
  private readonly children = new Set<ChildProcess>();
  private created: string[] = [];

  constructor(subnet = "198.18.77") {
    this.serverIp = `${subnet}.1`;
    this.clientIp = `${subnet}.2`;
    if (!LAB.test(this.serverIp) || !LAB.test(this.clientIp)) throw new Error("lab addresses must be in 198.18.0.0/15");
  }

  async setup(): Promise<void> {
    for (const ns of [this.serverNs, this.clientNs]) {
      await sh(["ip", "netns", "add", ns]);
      this.created.push(ns);
      mkdirSync(`/etc/netns/${ns}`, { recursive: true });
      writeFileSync(`/etc/netns/${ns}/resolv.conf`, "# laggboot tftp test namespace: no resolver\n");
      await sh(["ip", "-n", ns, "link", "set", "lo", "up"]);
    }
    await sh(["ip", "-n", this.serverNs, "link", "add", "tfs0", "type", "veth", "peer", "name", "tfc0", "netns", this.clientNs]);
    await sh(["ip", "-n", this.serverNs, "addr", "add", `${this.serverIp}/24`, "dev", "tfs0"]);
    await sh(["ip", "-n", this.clientNs, "addr", "add", `${this.clientIp}/24`, "dev", "tfc0"]);
    await sh(["ip", "-n", this.serverNs, "link", "set", "tfs0", "up"]);
    await sh(["ip", "-n", this.clientNs, "link", "set", "tfc0", "up"]);
  }

  /** Run a command in the client namespace. */
  client(argv: readonly string[], timeoutMs = 120_000): Promise<{ stdout: string; stderr: string }> {
    return sh(["ip", "netns", "exec", this.clientNs, ...argv], timeoutMs);
  }

  /** Start a long-running process in the server namespace. */
  spawnServer(argv: readonly string[], cwd?: string): ChildProcess {
    const c = spawn("ip", ["netns", "exec", this.serverNs, ...argv], { stdio: ["ignore", "pipe", "pipe"], cwd });
    this.children.add(c);
    c.on("exit", () => this.children.delete(c));
    return c;
  }

  /**
   * Drop `1 in n` UDP packets at random in both directions (nftables numgen),
   * on the input hook of each namespace: a drop on output would make the
   * sender's sendto() fail with EPERM, which real loss never does.
   */
  async setLoss(n: number | undefined, only?: "data-and-ack"): Promise<void> {
    // `@th,64,16` is the TFTP opcode (the 16 bits after the 8-byte UDP header),
    // `@th,80,16` the block number. "data-and-ack" spares the handshake
    // (RRQ, OACK, ACK 0), which atftp cannot survive losing.
    const matches = only === "data-and-ack" ? ["@th,64,16 3 ", "@th,64,16 4 @th,80,16 != 0 "] : [""];
    for (const ns of [this.clientNs, this.serverNs]) {
      await sh(["ip", "netns", "exec", ns, "nft", "delete", "table", "inet", "lbtfloss"]).catch(() => undefined);
      if (n === undefined) continue;
      const rules = [
        "add table inet lbtfloss",
        "add chain inet lbtfloss in { type filter hook input priority 0 ; }",
        ...matches.map((m) => `add rule inet lbtfloss in meta l4proto udp ${m}numgen random mod ${n} == 0 drop`),
      ];
      for (const r of rules) await sh(["ip", "netns", "exec", ns, "nft", ...r.split(" ")]);
    }
  }

  async pids(ns: string): Promise<number[]> {
    const r = await sh(["ip", "netns", "pids", ns]).catch(() => ({ stdout: "" }));
    return r.stdout.split("\n").filter((s) => s.trim() !== "").map(Number);
  }

  async cleanup(): Promise<void> {
    for (const c of this.children) if (c.exitCode === null) c.kill("SIGTERM");
    for (const ns of this.created) {
      const deadline = Date.now() + 2000;
      let left = await this.pids(ns);
      for (const pid of left) kill(pid, "SIGTERM");
      while (left.length > 0 && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 50));
        left = await this.pids(ns);
      }
      for (const pid of left) kill(pid, "SIGKILL");
      await sh(["ip", "netns", "del", ns]).catch(() => undefined);
      rmSync(`/etc/netns/${ns}`, { recursive: true, force: true });
    }
    this.created = [];
  }
}

function kill(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch {
    // gone
  }
}
