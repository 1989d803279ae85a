/**
 * Failover and failback gaps of the lab's diskless Linux client
 * (docs/benchmarks.md "Linux client: cable pulls"; rig: docs/lab.md,
 * src/lab/linux-lab.ts): one boot from laggboot serve with the bond built in
 * the initramfs, then PULLS pulls and plugs of the wired cable, the backup
 * pulled once, both cables out for 3 s then one back; then, optionally, a
 * boot with the run-time flip (bond.at: runtime) and a few pulls there.
 * Every gap is read from the heartbeat file the client writes to its NFS
 * root every 100 ms (fsync), so it is the client's own record.
 *
 * Run as root, under the benchmark lock:
 *   npx tsc -p tsconfig.json && flock /tmp/laggboot-bench.lock node dist/bench/lab/linux-failover.js [PULLS] [RUNTIME_PULLS]
 * Not part of npm test. Prints one JSON object with the figures and the load.
 */
import { loadavg } from "node:os";
import { allGaps, figures } from "../../src/lab/heartbeat.js";
import { waitForHeartbeat, withLinuxLab, type LinuxClientVm, type LinuxLab } from "../../src/lab/linux-lab.js";
import { CablePuller, DEFAULT_BOUNDS } from "../../src/lab/linux-proof.js";

const load = (): number => Math.round(loadavg()[0]! * 10) / 10;

async function boot(lab: LinuxLab, vm: LinuxClientVm, startedMs: number): Promise<{ puller: CablePuller; bootS: number }> {
  const hb = await waitForHeartbeat(vm, vm.serial.lines.length, 300_000);
  const bootS = Math.round((Date.now() - startedMs) / 100) / 10;
  const puller = new CablePuller(lab, vm, hb.file, DEFAULT_BOUNDS);
  await puller.waitBeats(20, DEFAULT_BOUNDS.resumeMs, "after the heartbeat started");
  return { puller, bootS };
}

function summary(p: CablePuller): Record<string, unknown> {
  const g = p.gaps();
  const of = (kind: string) => figures(g.filter((x) => x.kind === kind).map((x) => x.gapS));
  return {
    failover: of("failover"), failback: of("failback"), backupPull: of("backup-pull"),
    bothOut3sThenBackup: of("recover"), everyBeat: figures(allGaps(p.beats())), lostWrites: p.lostWrites().length,
  };
}

async function main(): Promise<void> {
  const pulls = Number(process.argv[2] ?? 30);
  const runtimePulls = Number(process.argv[3] ?? 10);
  const out: Record<string, unknown> = { at: new Date().toISOString(), pulls, runtimePulls, loadBefore: load() };
  await withLinuxLab({ setup: { bondAt: "initramfs", kernelArgs: "console=ttyS0" } }, async (lab) => {
    let t0 = Date.now();
    const vm = await lab.startClient();
    const a = await boot(lab, vm, t0);
    for (let i = 1; i <= pulls; i++) await a.puller.pullWired(i);
    await a.puller.pullBackup();
    await a.puller.pullBoth(3000);
    await a.puller.waitBeats(a.puller.beats().length + 5, DEFAULT_BOUNDS.resumeMs, "at the end");
    out["initramfs"] = { bootToFirstHeartbeatS: a.bootS, ...summary(a.puller), loadAfter: load() };
    if (runtimePulls > 0) {
      await lab.reconfigure({ bondAt: "runtime", kernelArgs: "console=ttyS0" });
      t0 = Date.now();
      await vm.reset();
      const b = await boot(lab, vm, t0);
      // Until the flip is done the root hangs on the wired NIC alone: pull only after it.
      const done = await vm.serial.waitForLine(/^LAGGBOOT-LINUX flip-done rc=\d+$/, 120_000);
      if (done.text !== "LAGGBOOT-LINUX flip-done rc=0") throw new Error(`the run-time flip failed: ${done.text}`);
      const flipWindow = figures(allGaps(b.puller.beats())).max;
      for (let i = 1; i <= runtimePulls; i++) await b.puller.pullWired(i);
      await b.puller.waitBeats(b.puller.beats().length + 5, DEFAULT_BOUNDS.resumeMs, "at the end");
      out["runtime"] = { bootToFirstHeartbeatS: b.bootS, largestGapAcrossTheFlipS: flipWindow, ...summary(b.puller), loadAfter: load() };
    }
  });
  process.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
}

await main();
