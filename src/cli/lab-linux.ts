/**
 * `laggboot lab --client linux`: a diskless Linux client with two NICs in
 * an active-backup bond boots from `laggboot serve` with an NFS root, and
 * its cable is pulled and plugged back while it writes a heartbeat to the
 * root, so a user can watch the promise hold (docs/linux-clients.md,
 * docs/lab.md). Prints the server's stages, the console's milestones and
 * each event with the heartbeat's largest gap around it.
 * Exit 0 when the heartbeat went on through every pull; 1 when not.
 */
import type { StageReached } from "../app/status-types.js";
import { allGaps, figures, type Figures } from "../lab/heartbeat.js";
import { StageFollower } from "../lab/follow.js";
import { LAB_HTTP_PORT } from "../lab/laggboot-serve.js";
import { waitForHeartbeat, withLinuxLab, type LinuxLab } from "../lab/linux-lab.js";
import { CablePuller, DEFAULT_BOUNDS } from "../lab/linux-proof.js";
import { EXIT } from "./common.js";

export interface LinuxLabCliOptions {
  readonly pulls: number;
  readonly timeoutSeconds: number;
  readonly keep: boolean;
  readonly json: boolean;
  readonly signalled: Promise<NodeJS.Signals>;
  readonly fired: () => boolean;
}

/** Console lines worth showing, in boot order; bond lines repeat on every pull. */
const MILESTONES: readonly RegExp[] = [
  /^iPXE \(PCI .*starting execution/,
  /^Filename: /,
  /^tftp:\/\/\S+\.\.\. ok$/,
  /Run \/init as init process/,
  /^laggboot-bond: /,
  /^IP-Config: \S+ complete/,
  /^LAGGBOOT-LINUX (root-up|heartbeat-started|flip-)/,
  /bond\d+: \(slave \S+\): (making interface the new active one|link status definitely)/,
  /^laggboot-flip: /,
];

export interface LinuxLabReport {
  readonly ok: boolean;
  readonly client: LinuxLab["client"] | undefined;
  readonly serverAddress: string | undefined;
  readonly bootToHeartbeatMs: number | undefined;
  readonly stages: readonly StageReached[];
  readonly console: readonly { readonly atMs: number; readonly text: string }[];
  readonly events: readonly { readonly what: string; readonly gapS: number }[];
  readonly failover: Figures | undefined;
  readonly failback: Figures | undefined;
  readonly everyBeat: Figures | undefined;
  readonly failure: string | undefined;
}

const fmtS = (ms: number): string => `${(ms / 1000).toFixed(1).padStart(6)}s`;

export async function runLinuxLab(o: LinuxLabCliOptions): Promise<number> {
  const live = o.json ? process.stderr : process.stdout;
  const say = (line: string): void => void live.write(`${line}\n`);
  let report: LinuxLabReport = {
    ok: false, client: undefined, serverAddress: undefined, bootToHeartbeatMs: undefined, stages: [], console: [], events: [],
    failover: undefined, failback: undefined, everyBeat: undefined, failure: undefined,
  };
  try {
    report = await withLinuxLab(
      { setup: { bondAt: "initramfs", kernelArgs: "console=ttyS0" }, signalHandlers: false, progress: (what) => say(`laggboot lab: ${what}`) },
      (lab) => pullCables(lab, o, say),
    );
  } catch (e) {
    report = { ...report, failure: (e as Error).message };
    say(`laggboot lab: FAILED: ${report.failure}`);
  }
  if (o.json) process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  return report.ok ? EXIT.ok : EXIT.problems;
}

async function pullCables(lab: LinuxLab, o: LinuxLabCliOptions, say: (line: string) => void): Promise<LinuxLabReport> {
  const { net, client } = lab;
  say(`laggboot lab: diskless Linux client ${client.name} (wired ${client.wiredMac}, backup ${client.backupMac}, reserved ${client.ip}), server ${net.addresses.serverIp}`);
  say(`  namespaces ${net.server.name} (laggboot serve, nfs-ganesha) and ${net.client.name} (QEMU); work dir ${lab.workDir}`);
  say(`  inventory ${lab.inventoryPath}; NFS root ${lab.rootDir}; API: ip netns exec ${net.server.name} curl -s http://127.0.0.1:${LAB_HTTP_PORT}/api/v1/clients`);
  const stages: StageReached[] = [];
  const consoleSeen: { atMs: number; text: string }[] = [];
  let t0 = Date.now();
  const follower = new StageFollower(net.server, `http://127.0.0.1:${LAB_HTTP_PORT}`, client.name, (s) => {
    stages.push({ ...s, atMs: s.atMs - t0 });
    say(`[${fmtS(s.atMs - t0)}] server   ${s.stage} ${s.detail}`);
  });
  follower.start();
  let puller: CablePuller | undefined;
  let bootMs: number | undefined;
  let failure: string | undefined;
  try {
    t0 = Date.now();
    const vm = await lab.startClient();
    say(`[${fmtS(0)}] qemu     started (bios, iPXE ROM on the wired NIC; two NICs on one bridge; pid ${vm.process.pid})`);
    vm.serial.onLine((line) => {
      if (!MILESTONES.some((re) => re.test(line.text))) return;
      consoleSeen.push({ atMs: line.atMs, text: line.text });
      say(`[${fmtS(line.atMs)}] console  ${line.text}`);
    });
    const interrupted = o.signalled.then((sig) => Promise.reject(new Error(`interrupted (${sig})`)));
    const hb = await Promise.race([waitForHeartbeat(vm, 0, o.timeoutSeconds * 1000), interrupted]);
    bootMs = hb.line.atMs;
    const p = new CablePuller(lab, vm, hb.file, DEFAULT_BOUNDS, (what) => say(`[${fmtS(Date.now() - t0)}] lab      ${what}`));
    puller = p;
    await Promise.race([p.waitBeats(10, DEFAULT_BOUNDS.resumeMs, "after the heartbeat started"), interrupted]);
    for (let i = 1; i <= o.pulls; i++) {
      await Promise.race([p.pullWired(i), interrupted]);
      const [out, back] = p.gaps().slice(-2);
      say(`[${fmtS(Date.now() - t0)}] lab      pull ${i}: largest heartbeat gap ${out!.gapS.toFixed(2)} s around the pull, ${back!.gapS.toFixed(2)} s around the plug`);
    }
    await Promise.race([p.waitBeats(p.beats().length + 3, DEFAULT_BOUNDS.resumeMs, "after the last plug"), interrupted]);
    const lost = p.lostWrites();
    if (lost.length > 0) failure = `the heartbeat lost writes: ${lost.join("; ")}`;
    await follower.refresh();
  } catch (e) {
    failure = (e as Error).message;
  } finally {
    await follower.stop();
  }
  const gaps = puller?.gaps() ?? [];
  const of = (kind: string): Figures | undefined => (puller ? figures(gaps.filter((g) => g.kind === kind).map((g) => g.gapS)) : undefined);
  const ok = failure === undefined && puller !== undefined;
  if (ok) {
    const f = of("failover")!, b = of("failback")!;
    say(`laggboot lab: the heartbeat went on through ${o.pulls} pull(s); largest gap around a pull ${f.max.toFixed(2)} s (median ${f.p50.toFixed(2)}), around a plug ${b.max.toFixed(2)} s (median ${b.p50.toFixed(2)})`);
  } else {
    say(`laggboot lab: FAILED: ${failure ?? "no heartbeat"}`);
  }
  if (o.keep && !o.fired()) {
    say(`laggboot lab: --keep: the client and laggboot serve keep running; pull cables with the monitor (${lab.workDir}/monitor.sock: set_link wired off); Ctrl-C to stop and clean up`);
    await o.signalled;
  }
  say("laggboot lab: cleaning up (processes by PID, namespaces by name)");
  return {
    ok, client, serverAddress: net.addresses.serverIp, bootToHeartbeatMs: bootMs, stages, console: consoleSeen,
    events: gaps.map((g) => ({ what: g.what, gapS: g.gapS })), failover: of("failover"), failback: of("failback"),
    everyBeat: puller ? figures(allGaps(puller.beats())) : undefined, failure,
  };
}
