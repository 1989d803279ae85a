/**
 * Where does a lockstep TFTP transfer to real iPXE spend its time? Boots iPXE
 * BIOS under QEMU against dnsmasq and laggboot serve (alternating, same
 * machine load), captures the server side of the lab link with tcpdump, and
 * splits the kernel transfer into the server's turnaround (ACK n received ->
 * DATA n+1 sent) and the client's (DATA n sent -> ACK n received), both as
 * seen on the server's interface, plus retransmitted DATA blocks.
 *
 * laggboot runs with the lab inventory over TFTP (labInventory(ctx, "tftp")).
 * Run as root: npx tsc -p tsconfig.json && node dist/bench/lab/tftp-trace.js [ROUNDS]
 * Not part of npm test.
 */
import { existsSync, readFileSync } from "node:fs";
import { loadavg } from "node:os";
import { join } from "node:path";
import { ensureLabAssets } from "../../src/lab/assets.js";
import { bootToMarker, withLab, type LabServerStarter } from "../../src/lab/lab.js";
import type { LabNamespace } from "../../src/lab/net.js";
import { labInventory, laggbootServe } from "../../src/lab/laggboot-serve.js";
import { waitUntil } from "../../src/lab/proc.js";
import { startDnsmasq } from "../../test/e2e/support/dnsmasq.js";

const TFTP_OP = { DATA: 3, ACK: 4, OACK: 6 } as const;
const ETH_IPV4 = 0x0800;
const IP_UDP = 17;

interface Pkt {
  readonly tMs: number;
  readonly fromServer: boolean;
  readonly op: number;
  readonly block: number;
  readonly port: number;
}

/** UDP/IPv4 packets of a classic pcap file (Ethernet link type). */
function readPcap(file: string, serverIp: string): Pkt[] {
  const b = readFileSync(file);
  const out: Pkt[] = [];
  let off = 24;
  while (off + 16 <= b.length) {
    const sec = b.readUInt32LE(off);
    const usec = b.readUInt32LE(off + 4);
    const incl = b.readUInt32LE(off + 8);
    const p = b.subarray(off + 16, off + 16 + incl);
    off += 16 + incl;
    if (p.length < 14 + 20 + 8 + 4 || p.readUInt16BE(12) !== ETH_IPV4) continue;
    const ihl = (p[14]! & 0x0f) * 4;
    if (p[14 + 9] !== IP_UDP) continue;
    const src = [...p.subarray(26, 30)].join(".");
    const udp = 14 + ihl;
    const sport = p.readUInt16BE(udp);
    const dport = p.readUInt16BE(udp + 2);
    const fromServer = src === serverIp;
    const tftp = udp + 8;
    if (p.length < tftp + 4) continue;
    out.push({ tMs: sec * 1000 + usec / 1000, fromServer, op: p.readUInt16BE(tftp), block: p.readUInt16BE(tftp + 2), port: fromServer ? dport : sport });
  }
  return out;
}

const pct = (xs: number[], q: number): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? NaN : s[Math.min(s.length - 1, Math.floor(q * s.length))]!;
};
const r2 = (x: number): number => Math.round(x * 1000) / 1000;

/** The longest transfer (by DATA packets) in the capture: the kernel. */
function analyse(pkts: Pkt[]): Record<string, number> {
  const byPort = new Map<number, Pkt[]>();
  for (const p of pkts) if (p.op === TFTP_OP.DATA || p.op === TFTP_OP.ACK) byPort.set(p.port, [...(byPort.get(p.port) ?? []), p]);
  const [, t] = [...byPort.entries()].sort((a, b) => b[1].filter((p) => p.op === TFTP_OP.DATA).length - a[1].filter((p) => p.op === TFTP_OP.DATA).length)[0]!;
  const data = t.filter((p) => p.fromServer && p.op === TFTP_OP.DATA);
  const serverTurn: number[] = [];
  const clientTurn: number[] = [];
  let lastAck: Pkt | undefined;
  let lastData: Pkt | undefined;
  let resent = 0;
  const seen = new Set<string>();
  let wraps = 0;
  let prevBlock = 0;
  for (const p of t) {
    if (p.fromServer && p.op === TFTP_OP.DATA) {
      if (p.block < prevBlock && prevBlock - p.block > 30000) wraps++;
      prevBlock = p.block;
      const key = `${wraps}:${p.block}`;
      if (seen.has(key)) resent++;
      seen.add(key);
      if (lastAck && ((lastAck.block + 1) & 0xffff) === p.block) serverTurn.push(p.tMs - lastAck.tMs);
      lastData = p;
      lastAck = undefined;
    } else if (!p.fromServer && p.op === TFTP_OP.ACK) {
      if (lastData && lastData.block === p.block) clientTurn.push(p.tMs - lastData.tMs);
      lastAck = p;
      lastData = undefined;
    }
  }
  const sum = (xs: number[]): number => xs.reduce((a, b) => a + b, 0);
  return {
    dataPackets: data.length,
    resentBlocks: resent,
    transferMs: Math.round(t.at(-1)!.tMs - t[0]!.tMs),
    serverTurnMedianMs: r2(pct(serverTurn, 0.5)),
    serverTurnP90Ms: r2(pct(serverTurn, 0.9)),
    serverTurnP99Ms: r2(pct(serverTurn, 0.99)),
    serverTurnTotalMs: Math.round(sum(serverTurn)),
    clientTurnMedianMs: r2(pct(clientTurn, 0.5)),
    clientTurnP90Ms: r2(pct(clientTurn, 0.9)),
    clientTurnTotalMs: Math.round(sum(clientTurn)),
  };
}

/** CPU ms (user+system) of the boot server's process in the namespace: node for laggboot, the non-RA dnsmasq. */
async function serverCpuMs(ns: LabNamespace): Promise<number> {
  const pids = (await ns.exec(["ip", "netns", "pids", ns.name]).catch(() => ({ stdout: "" }))).stdout.split("\n").filter((x) => x.trim() !== "");
  const ticksPerS = 100; // USER_HZ on Linux
  for (const pid of pids) {
    let cmd: string;
    try {
      cmd = readFileSync(`/proc/${pid}/cmdline`, "utf8");
    } catch {
      continue;
    }
    if (cmd.includes("ra-dnsmasq") || !(cmd.includes("main.js") || cmd.includes("dnsmasq.conf"))) continue;
    const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ");
    // utime and stime are fields 14 and 15 (1-based) of /proc/PID/stat; index 11 and 12 after "comm) ".
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / ticksPerS;
  }
  return NaN;
}

async function once(name: string, starter: LabServerStarter): Promise<Record<string, unknown>> {
  const load1 = Math.round(loadavg()[0]! * 10) / 10;
  return withLab({ firmware: "bios", server: starter }, async (lab) => {
    const pcap = join(lab.workDir, "link.pcap");
    const dump = lab.net.server.spawn(["tcpdump", "-i", lab.net.serverIf, "-s", "96", "-U", "-w", pcap, "udp and not port 67 and not port 68"], { logFile: join(lab.workDir, "tcpdump.log") });
    const dumpLog = join(lab.workDir, "tcpdump.log");
    await waitUntil("tcpdump to listen", () => existsSync(dumpLog) && readFileSync(dumpLog, "utf8").includes("listening"), 10_000);
    const cpu0 = await serverCpuMs(lab.net.server);
    const r = await bootToMarker(lab, 240_000);
    const cpuMs = (await serverCpuMs(lab.net.server)) - cpu0;
    await dump.stop(3000);
    const a = analyse(readPcap(pcap, lab.net.addresses.serverIp));
    return { server: name, load1, bootS: Math.round(r.bootMs / 100) / 10, serverCpuMsDuringBoot: cpuMs, cpuUsPerDataPacket: Math.round((cpuMs * 1000) / a["dataPackets"]!), ...a };
  });
}

const rounds = Number(process.argv[2] ?? 2);
await ensureLabAssets();
for (let i = 0; i < rounds; i++) {
  const pair: [string, LabServerStarter][] = [["dnsmasq", startDnsmasq], ["laggboot serve", laggbootServe((ctx) => labInventory(ctx, "tftp"))]];
  if (i % 2 === 1) pair.reverse();
  for (const [name, s] of pair) process.stdout.write(`${JSON.stringify(await once(name, s))}\n`);
}
