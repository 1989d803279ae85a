/**
 * laggboot lab [--client pxe|linux] [--firmware bios|uefi] [--pulls N] [--timeout S] [--keep] [--json]:
 * a running boot server booting a real PXE client, on this machine, in two
 * network namespaces (docs/lab.md). Builds the boot assets, writes an
 * inventory, starts `laggboot serve` in the server namespace and QEMU with
 * real firmware in the client namespace, prints the client's boot stages as
 * the server records them and the console's milestones as they appear, then
 * removes everything it made (also on Ctrl-C).
 * Exit 0 when the booted kernel printed this run's marker; 1 when not;
 * 2 usage (e.g. not root).
 */
import { Option, type Command } from "commander";
import type { StageReached } from "../app/status-types.js";
import { LaggbootError } from "../errors.js";
import { BOOTED_LINE } from "../lab/assets.js";
import { StageFollower } from "../lab/follow.js";
import { BOOT_MILESTONES, withLab, type Lab, type MilestoneName } from "../lab/lab.js";
import { LAB_HTTP_PORT, laggbootServe, type LaggbootServer } from "../lab/laggboot-serve.js";
import { removeOpenNamespacesNow } from "../lab/net.js";
import type { Firmware, SerialLine } from "../lab/qemu.js";
import { EXIT, act } from "./common.js";
import { runLinuxLab } from "./lab-linux.js";

export interface LabCliOptions {
  readonly firmware: Firmware;
  readonly timeoutSeconds: number;
  readonly keep: boolean;
  readonly json: boolean;
}

/** What `--json` prints: times in ms from QEMU's start. */
export interface LabReport {
  readonly ok: boolean;
  readonly firmware: Firmware;
  readonly marker: string;
  readonly markerSeen: string | undefined;
  readonly bootMs: number | undefined;
  readonly client: { readonly name: string; readonly mac: string; readonly ip: string };
  readonly serverAddress: string;
  /** The server's stages for the client, in the order they happened. */
  readonly stages: readonly StageReached[];
  /** Console milestones seen, in order. */
  readonly console: readonly { readonly milestone: MilestoneName; readonly atMs: number; readonly text: string }[];
  /** laggboot serve's `tftp transfer` and `http transfer` log lines, in order. */
  readonly transfers: readonly Record<string, unknown>[];
  readonly failure: string | undefined;
}

export function registerLab(program: Command): void {
  program
    .command("lab")
    .description("boot a real PXE client (QEMU) from laggboot serve in network namespaces on this machine (root)")
    .addOption(new Option("--client <client>", "pxe: a kernel that prints a marker; linux: a diskless Linux client with a bond on an NFS root, its cable pulled").choices(["pxe", "linux"]).default("pxe"))
    .addOption(new Option("--firmware <firmware>", "bios: SeaBIOS + iPXE ROM; uefi: OVMF's own PXE (pxe client only)").choices(["bios", "uefi"]).default("bios"))
    .option("--pulls <n>", "linux: pull and plug back the wired cable this many times", "3")
    .option("--timeout <seconds>", "give up when the client has not booted by then", "150")
    .option("--keep", "after the boot, keep the server running until Ctrl-C")
    .option("--json", "print the stage timeline as JSON at the end (live lines go to stderr)")
    .action(act(async (opts: { client: "pxe" | "linux"; firmware: Firmware; pulls: string; timeout: string; keep?: boolean; json?: boolean }, cmd: Command) => {
      const timeoutSeconds = Number(opts.timeout);
      if (!Number.isFinite(timeoutSeconds) || timeoutSeconds <= 0) throw new LaggbootError("LB_ERR_USAGE", "--timeout must be a positive number of seconds");
      if (opts.client === "pxe") return runLab({ firmware: opts.firmware, timeoutSeconds, keep: opts.keep === true, json: opts.json === true });
      if (cmd.getOptionValueSource("firmware") === "cli" && opts.firmware !== "bios") throw new LaggbootError("LB_ERR_USAGE", "--client linux boots with --firmware bios (iPXE's ROM on the wired NIC)");
      const pulls = Number(opts.pulls);
      if (!Number.isInteger(pulls) || pulls < 0 || pulls > 1000) throw new LaggbootError("LB_ERR_USAGE", "--pulls must be a whole number from 0 to 1000");
      requireRoot();
      const signals = interruptions();
      try {
        return await runLinuxLab({ pulls, timeoutSeconds, keep: opts.keep === true, json: opts.json === true, signalled: signals.signalled, fired: signals.fired });
      } finally {
        signals.dispose();
      }
    }));
}

const fmtS = (ms: number): string => `${(ms / 1000).toFixed(1).padStart(6)}s`;

/** Resolves on the first SIGINT/SIGTERM; a second one removes the namespaces at once and exits. */
function interruptions(): { readonly signalled: Promise<NodeJS.Signals>; readonly dispose: () => void; readonly fired: () => boolean } {
  let fired = false;
  let resolveSignal: (s: NodeJS.Signals) => void = () => undefined;
  const signalled = new Promise<NodeJS.Signals>((r) => {
    resolveSignal = r;
  });
  const handler = (sig: NodeJS.Signals): void => {
    if (fired) {
      removeOpenNamespacesNow();
      process.exit(EXIT.problems);
    }
    fired = true;
    process.stderr.write(`\nlaggboot lab: ${sig}: stopping and cleaning up (again to force)\n`);
    resolveSignal(sig);
  };
  process.on("SIGINT", handler);
  process.on("SIGTERM", handler);
  return {
    signalled,
    fired: () => fired,
    dispose: () => {
      process.off("SIGINT", handler);
      process.off("SIGTERM", handler);
    },
  };
}

function requireRoot(): void {
  if (typeof process.getuid === "function" && process.getuid() !== 0) {
    throw new LaggbootError("LB_ERR_USAGE", "laggboot lab needs root (it creates network namespaces, a tap and runs QEMU): run it as root");
  }
}

export async function runLab(o: LabCliOptions): Promise<number> {
  requireRoot();
  const live = o.json ? process.stderr : process.stdout;
  const say = (line: string): void => {
    live.write(`${line}\n`);
  };
  const signals = interruptions();
  let server: LaggbootServer | undefined;
  const serve = laggbootServe();
  try {
    const report = await withLab(
      {
        firmware: o.firmware,
        signalHandlers: false,
        progress: (what) => say(`laggboot lab: ${what}`),
        server: async (ctx) => {
          server = (await serve(ctx)) as LaggbootServer;
          return server;
        },
      },
      (lab) => boot(lab, server!, o, say, signals),
    );
    if (o.json) process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
    return report.ok ? EXIT.ok : EXIT.problems;
  } finally {
    signals.dispose();
  }
}

async function boot(
  lab: Lab,
  server: LaggbootServer,
  o: LabCliOptions,
  say: (line: string) => void,
  signals: ReturnType<typeof interruptions>,
): Promise<LabReport> {
  const { net, ctx } = lab;
  say(`laggboot lab: ${o.firmware} client ${ctx.client.hostname} (${ctx.client.mac}, reserved ${ctx.client.ip}), server ${net.addresses.serverIp}`);
  say(`  namespaces ${net.server.name} (laggboot serve) and ${net.client.name} (QEMU); work dir ${lab.workDir}`);
  say(`  inventory ${server.configPath}; API: ip netns exec ${net.server.name} curl -s http://127.0.0.1:${LAB_HTTP_PORT}/api/v1/clients`);
  const stages: StageReached[] = [];
  const consoleSeen: { milestone: MilestoneName; atMs: number; text: string }[] = [];
  let t0 = Date.now();
  const follower = new StageFollower(net.server, `http://127.0.0.1:${LAB_HTTP_PORT}`, ctx.client.hostname, (s) => {
    stages.push(s);
    say(`[${fmtS(s.atMs - t0)}] server   ${s.stage} ${s.detail}`);
  });
  follower.start();
  let markerLine: SerialLine | undefined;
  let failure: string | undefined;
  try {
    t0 = Date.now();
    const client = lab.startClient();
    say(`[${fmtS(0)}] qemu     started (${o.firmware}, pid ${client.process.pid})`);
    client.serial.onLine((line) => {
      const hit = BOOT_MILESTONES.find(([name, re]) => re.test(line.text) && !consoleSeen.some((c) => c.milestone === name));
      if (!hit) return;
      consoleSeen.push({ milestone: hit[0], atMs: line.atMs, text: line.text });
      say(`[${fmtS(line.atMs)}] console  ${line.text}`);
    });
    const outcome = await Promise.race([
      client.serial.waitForLine(BOOTED_LINE, o.timeoutSeconds * 1000).then((l) => ({ line: l }), (e: Error) => ({ error: e.message })),
      signals.signalled.then((sig) => ({ error: `interrupted (${sig})` })),
    ]);
    if ("line" in outcome) {
      markerLine = outcome.line;
      // The initramfs powers off right after the marker; give QEMU a moment to exit.
      const off = setTimeout(() => void client.process.stop(), 15_000);
      await Promise.race([client.process.exited, signals.signalled]);
      clearTimeout(off);
    } else {
      failure = outcome.error;
      const qemuErr = client.process.stderrText().trim();
      if (qemuErr !== "") failure += `\n--- qemu stderr ---\n${qemuErr.split("\n").slice(-10).join("\n")}`;
      failure += `\n--- laggboot serve log (tail) ---\n${server.logText().split("\n").slice(-15).join("\n")}`;
    }
    await follower.refresh();
  } finally {
    await follower.stop();
  }
  const markerSeen = markerLine ? BOOTED_LINE.exec(markerLine.text)![1] : undefined;
  const ok = markerSeen === lab.marker;
  if (ok) say(`laggboot lab: booted: the kernel printed marker ${markerSeen} after ${(markerLine!.atMs / 1000).toFixed(1)} s`);
  else if (markerSeen !== undefined) failure = `the console printed marker ${markerSeen}, not this run's ${lab.marker}`;
  if (failure !== undefined) say(`laggboot lab: FAILED: ${failure}`);
  if (o.keep && !signals.fired()) {
    say(`laggboot lab: --keep: laggboot serve keeps running in ${net.server.name}; Ctrl-C to stop and clean up`);
    await signals.signalled;
  }
  say("laggboot lab: cleaning up (processes by PID, namespaces by name)");
  return {
    ok,
    firmware: o.firmware,
    marker: lab.marker,
    markerSeen,
    bootMs: markerLine?.atMs,
    client: { name: ctx.client.hostname, mac: ctx.client.mac, ip: ctx.client.ip },
    serverAddress: net.addresses.serverIp,
    stages: stages.map((s) => ({ ...s, atMs: s.atMs - t0 })),
    console: consoleSeen,
    transfers: server.logLines().filter((l) => l["msg"] === "tftp transfer" || l["msg"] === "http transfer"),
    failure,
  };
}
