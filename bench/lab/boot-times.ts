/**
 * Boot times of real PXE firmware under QEMU TCG, in one run: laggboot serve
 * handing iPXE its files over HTTP, laggboot serve over TFTP, and dnsmasq
 * over TFTP (docs/benchmarks.md "Boot times (QEMU)", rig: docs/lab.md).
 *
 * Each round boots every firmware once per server, the servers' order
 * rotating from round to round, so each sees the same spread of machine
 * load. Per boot, from the serial console (ms since QEMU's start):
 *   total  QEMU start to the initramfs's marker line;
 *   script QEMU start to `boot.ipxe : N bytes [script]`;
 *   fetch  from there to `initrd.gz... ok`: kernel (14 MB) and initrd (1 MB)
 *          as iPXE fetches them, the file-transfer part of the boot;
 * and for laggboot its own transfer log lines for kernel and initrd (ms).
 * The 1-minute load average is taken before each boot. The summary gives
 * medians per firmware and server and the ratios the issue sets goals for:
 * fetch and total of laggboot over HTTP against dnsmasq.
 *
 * Run as root, one at a time on the machine:
 *   npx tsc -p tsconfig.json && flock /tmp/laggboot-bench.lock node dist/bench/lab/boot-times.js [ROUNDS] [bios,uefi] [JSON_OUT]
 * (defaults: 3 rounds, both firmwares, bench-boot-times.json). Prints a table; writes the JSON.
 * Not part of npm test.
 */
import { writeFileSync } from "node:fs";
import { loadavg } from "node:os";
import { ensureLabAssets } from "../../src/lab/assets.js";
import { bootToMarker, withLab, type BootResult, type LabServerStarter } from "../../src/lab/lab.js";
import { labInventory, laggbootServe, type LaggbootServer } from "../../src/lab/laggboot-serve.js";
import type { Firmware } from "../../src/lab/qemu.js";
import { startDnsmasq } from "../../test/e2e/support/dnsmasq.js";

interface Boot {
  readonly round: number;
  readonly firmware: Firmware;
  readonly server: string;
  readonly load1: number;
  readonly totalS: number;
  readonly scriptS: number | undefined;
  readonly fetchS: number | undefined;
  /** laggboot's own log: kernel and initrd transfer ms, and the protocol. */
  readonly serverKernelMs: number | undefined;
  readonly serverInitrdMs: number | undefined;
}

const SERVERS: readonly (readonly [string, LabServerStarter])[] = [
  ["laggboot http", laggbootServe((ctx) => labInventory(ctx, "http"))],
  ["laggboot tftp", laggbootServe((ctx) => labInventory(ctx, "tftp"))],
  ["dnsmasq tftp", startDnsmasq],
];

const s = (ms: number | undefined): number | undefined => (ms === undefined ? undefined : Math.round(ms / 10) / 100);
const median = (xs: readonly number[]): number | undefined => {
  if (xs.length === 0) return undefined;
  const v = [...xs].sort((a, b) => a - b);
  return v.length % 2 === 1 ? v[(v.length - 1) / 2]! : Math.round(((v[v.length / 2 - 1]! + v[v.length / 2]!) / 2) * 100) / 100;
};

async function once(round: number, firmware: Firmware, name: string, server: LabServerStarter): Promise<Boot> {
  const load1 = Math.round(loadavg()[0]! * 10) / 10;
  return withLab({ firmware, server }, async (lab) => {
    const r: BootResult = await bootToMarker(lab, 240_000);
    if (r.markerSeen !== lab.marker) throw new Error(`wrong marker ${r.markerSeen}`);
    const m = r.milestonesMs;
    const logs = "logLines" in lab.server ? (lab.server as LaggbootServer).logLines() : [];
    const transferMs = (file: string): number | undefined => {
      const l = logs.find((x) => (x["msg"] === "tftp transfer" || x["msg"] === "http transfer") && x["file"] === file && x["outcome"] === "ok");
      return l === undefined ? undefined : Number(l["ms"]);
    };
    return {
      round, firmware, server: name, load1,
      totalS: s(r.bootMs)!,
      scriptS: s(m.scriptLoaded),
      fetchS: m.initrdLoaded !== undefined && m.scriptLoaded !== undefined ? s(m.initrdLoaded - m.scriptLoaded) : undefined,
      serverKernelMs: transferMs("kernel"),
      serverInitrdMs: transferMs("initrd.gz"),
    };
  });
}

async function main(): Promise<void> {
  const rounds = Number(process.argv[2] ?? 3);
  const firmwares = (process.argv[3] ?? "bios,uefi").split(",") as Firmware[];
  const jsonOut = process.argv[4] ?? "bench-boot-times.json";
  await ensureLabAssets();
  const boots: Boot[] = [];
  for (let round = 1; round <= rounds; round++) {
    for (const fw of firmwares) {
      // Rotate: round 1 starts with the first server, round 2 with the second, ...
      const order = SERVERS.map((_, i) => SERVERS[(i + round - 1) % SERVERS.length]!);
      for (const [name, starter] of order) {
        // A boot that fails (the rig's console, QEMU) is said and tried once more; a second failure ends the run.
        const b = await once(round, fw, name, starter).catch(async (e: unknown) => {
          process.stderr.write(`${JSON.stringify({ round, firmware: fw, server: name, failed: String(e).split("\n")[0] })}\n`);
          return once(round, fw, name, starter);
        });
        boots.push(b);
        process.stderr.write(`${JSON.stringify(b)}\n`);
      }
    }
  }
  const out: string[] = [];
  out.push("| round | firmware | server | load1 | total s | script s | fetch s (kernel+initrd) | laggboot kernel / initrd ms |", "|---|---|---|---|---|---|---|---|");
  for (const b of boots) {
    const own = b.serverKernelMs === undefined ? "-" : `${b.serverKernelMs} / ${b.serverInitrdMs ?? "-"}`;
    out.push(`| ${b.round} | ${b.firmware} | ${b.server} | ${b.load1} | ${b.totalS} | ${b.scriptS ?? "-"} | ${b.fetchS ?? "-"} | ${own} |`);
  }
  const summary = firmwares.flatMap((fw) => SERVERS.map(([name]) => {
    const xs = boots.filter((b) => b.firmware === fw && b.server === name);
    return {
      firmware: fw, server: name, boots: xs.length,
      totalS: median(xs.map((b) => b.totalS)),
      fetchS: median(xs.flatMap((b) => (b.fetchS === undefined ? [] : [b.fetchS]))),
      load1: median(xs.map((b) => b.load1)),
    };
  }));
  const ratios = firmwares.map((fw) => {
    const of = (name: string) => summary.find((x) => x.firmware === fw && x.server === name)!;
    const http = of("laggboot http"), dnsmasq = of("dnsmasq tftp");
    const r = (a: number | undefined, b: number | undefined): number | undefined => (a === undefined || b === undefined ? undefined : Math.round((a / b) * 100) / 100);
    return { firmware: fw, fetchRatio: r(http.fetchS, dnsmasq.fetchS), totalRatio: r(http.totalS, dnsmasq.totalS) };
  });
  out.push("", "| firmware | server | boots | total s (median) | fetch s (median) | load1 (median) |", "|---|---|---|---|---|---|");
  for (const x of summary) out.push(`| ${x.firmware} | ${x.server} | ${x.boots} | ${x.totalS ?? "-"} | ${x.fetchS ?? "-"} | ${x.load1 ?? "-"} |`);
  out.push("", "| firmware | fetch: laggboot http / dnsmasq (goal <= 0.3) | total: laggboot http / dnsmasq (goal <= 0.8) |", "|---|---|---|");
  for (const x of ratios) out.push(`| ${x.firmware} | ${x.fetchRatio ?? "-"} | ${x.totalRatio ?? "-"} |`);
  process.stdout.write(`${out.join("\n")}\n`);
  writeFileSync(jsonOut, `${JSON.stringify({ when: new Date().toISOString(), node: process.version, rounds, summary, ratios, boots }, null, 2)}\n`);
  process.stdout.write(`wrote ${jsonOut}\n`);
}

await main();
