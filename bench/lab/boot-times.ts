/**
 * Boot times of real PXE firmware under QEMU TCG against dnsmasq and laggboot
 * serve, in one run, alternating servers so both see the same machine load
 * (docs/benchmarks.md "Boot times (QEMU)", rig: docs/lab.md).
 *
 * For each round and firmware: one boot with dnsmasq, one with laggboot.
 * Reported per boot: QEMU start to the marker, to the iPXE script, the
 * kernel fetch as the console shows it (script loaded -> `kernel... ok`),
 * and for laggboot its own `tftp transfer` log line for the kernel (ms,
 * blksize, windowsize). The 1-minute load average is taken before each boot.
 *
 * Run as root: npx tsc -p tsconfig.json && node dist/bench/lab/boot-times.js [ROUNDS] [bios,uefi]
 * Not part of npm test. Prints one JSON line per boot, then a summary table.
 */
import { loadavg } from "node:os";
import { ensureLabAssets } from "../../src/lab/assets.js";
import { bootToMarker, withLab, type BootResult } from "../../src/lab/lab.js";
import { laggbootServe, type LaggbootServer } from "../../src/lab/laggboot-serve.js";
import type { LabServerStarter } from "../../src/lab/lab.js";
import type { Firmware } from "../../src/lab/qemu.js";
import { startDnsmasq } from "../../test/e2e/support/dnsmasq.js";

interface Row {
  readonly firmware: Firmware;
  readonly server: string;
  readonly load1: number;
  readonly totalS: number;
  readonly scriptS: number | undefined;
  readonly kernelFetchS: number | undefined;
  readonly kernelTransfer: { ms: unknown; blksize: unknown; windowsize: unknown; bytes: unknown } | undefined;
}

const s = (ms: number | undefined): number | undefined => (ms === undefined ? undefined : Math.round(ms / 100) / 10);

async function once(firmware: Firmware, name: string, server: LabServerStarter): Promise<Row> {
  const load1 = Math.round(loadavg()[0]! * 10) / 10;
  return withLab({ firmware, server }, async (lab) => {
    const r: BootResult = await bootToMarker(lab, 240_000);
    if (r.markerSeen !== lab.marker) throw new Error(`wrong marker ${r.markerSeen}`);
    const m = r.milestonesMs;
    const kernelLine = "logLines" in lab.server
      ? (lab.server as LaggbootServer).logLines().find((l) => l["msg"] === "tftp transfer" && l["file"] === "kernel")
      : undefined;
    return {
      firmware,
      server: name,
      load1,
      totalS: s(r.bootMs)!,
      scriptS: s(m.scriptLoaded),
      kernelFetchS: m.kernelLoaded !== undefined && m.scriptLoaded !== undefined ? s(m.kernelLoaded - m.scriptLoaded) : undefined,
      kernelTransfer: kernelLine
        ? { ms: kernelLine["ms"], blksize: kernelLine["blksize"], windowsize: kernelLine["windowsize"], bytes: kernelLine["bytes"] }
        : undefined,
    };
  });
}

async function main(): Promise<void> {
  const rounds = Number(process.argv[2] ?? 3);
  const firmwares = (process.argv[3] ?? "bios,uefi").split(",") as Firmware[];
  await ensureLabAssets();
  const rows: Row[] = [];
  for (let i = 0; i < rounds; i++) {
    for (const fw of firmwares) {
      // Alternate which server goes first, so neither always gets the warmer machine.
      const pair: [string, LabServerStarter][] = [["dnsmasq", startDnsmasq], ["laggboot serve", laggbootServe()]];
      if (i % 2 === 1) pair.reverse();
      for (const [name, starter] of pair) {
        const row = await once(fw, name, starter);
        rows.push(row);
        process.stdout.write(`${JSON.stringify(row)}\n`);
      }
    }
  }
  process.stdout.write("\n| firmware | server | load1 | total s | script s | kernel fetch s (console) | laggboot kernel transfer ms (blksize/windowsize) |\n|---|---|---|---|---|---|---|\n");
  for (const r of rows) {
    const k = r.kernelTransfer ? `${String(r.kernelTransfer.ms)} (${String(r.kernelTransfer.blksize)}/${String(r.kernelTransfer.windowsize)})` : "-";
    process.stdout.write(`| ${r.firmware} | ${r.server} | ${r.load1} | ${r.totalS} | ${r.scriptS ?? "-"} | ${r.kernelFetchS ?? "-"} | ${k} |\n`);
  }
}

await main();
