/**
 * The real-PXE-firmware rig: network namespaces, a boot server (a parameter),
 * QEMU with real firmware, and the serial console to watch.
 *
 * The server side is a `LabServerStarter`: a function that gets the lab's
 * facts (namespace, addresses, client MAC and reserved address, TFTP root,
 * names to hand out) and starts a server inside the server namespace. The
 * rig's self-test uses dnsmasq (./dnsmasq.ts); the laggboot e2e tests pass a
 * starter that writes an inventory and runs `laggboot serve` there.
 *
 * Everything a run creates (namespaces, processes, temp dirs) is removed by
 * `withLab`, also when the body throws.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { qemuArgv, SerialConsole, type Firmware, type SerialLine } from "./qemu.js";
import { BOOTED_LINE, ensureLabAssets, populateTftpRoot, TFTP_NAMES, type LabAssets } from "./assets.js";
import { createLabNet, onEmergencyCleanup, type LabNet } from "./net.js";
import type { ExitStatus, ManagedProcess } from "./proc.js";
import { startRouterAdvertiser } from "./router-adverts.js";

export interface LabServerContext {
  readonly net: LabNet;
  readonly firmware: Firmware;
  /** A private directory for the server's config, leases and logs. */
  readonly workDir: string;
  /** The TFTP root, already holding the boot programs, kernel, initrd and script. */
  readonly tftpRoot: string;
  /** The one client: QEMU's NIC and the address its reservation must give. */
  readonly client: { readonly mac: string; readonly ip: string; readonly hostname: string };
  /** File names to hand out, relative to the TFTP root. */
  readonly names: typeof TFTP_NAMES;
}

export interface LabServer {
  /** For messages, e.g. "dnsmasq" or "laggboot serve". */
  readonly name: string;
  /** The server's own log so far (failure messages print its tail). */
  logText(): string;
  /** Stop it (by PID). The lab also kills anything left in the namespace. */
  stop(): Promise<void>;
}

/** Starts a boot server inside `ctx.net.server` and resolves once it answers. */
export type LabServerStarter = (ctx: LabServerContext) => Promise<LabServer>;

export interface LabOptions {
  readonly firmware: Firmware;
  readonly server: LabServerStarter;
  /**
   * Send IPv6 router advertisements on the lab link (an RA-only dnsmasq in the
   * server namespace, no DHCP). Without any RA, iPXE waits ~10 s for one
   * before it runs the script. Default true; set false to measure the wait.
   */
  readonly routerAdvertisements?: boolean;
  readonly accel?: "tcg" | "kvm";
  /** Pre-built assets; default: ensureLabAssets() with the cache from the environment. */
  readonly assets?: LabAssets;
  /** Marker for the kernel command line; default unique per run. */
  readonly marker?: string;
  /** Keep the work dir (configs, serial transcript, logs) after the run. */
  readonly keepWorkDir?: boolean;
  /** Install SIGINT/SIGTERM handlers that remove the namespaces (default true; see createLabNet). */
  readonly signalHandlers?: boolean;
  /** Called with what is being done (building assets, starting the server...), for a progress display. */
  readonly progress?: (what: string) => void;
}

export interface QemuClient {
  readonly process: ManagedProcess;
  readonly serial: SerialConsole;
  readonly argv: readonly string[];
}

export interface Lab {
  readonly net: LabNet;
  readonly ctx: LabServerContext;
  readonly server: LabServer;
  readonly marker: string;
  readonly workDir: string;
  /** Start the PXE client; the lab stops it at the end. */
  startClient(): QemuClient;
}

/** Default accelerator: LAGGBOOT_LAB_ACCEL=kvm opts in; CI's machines have no usable KVM. */
function accelFromEnv(): "tcg" | "kvm" {
  return process.env["LAGGBOOT_LAB_ACCEL"] === "kvm" ? "kvm" : "tcg";
}

export async function withLab<T>(options: LabOptions, body: (lab: Lab) => Promise<T>): Promise<T> {
  const progress = options.progress ?? ((): void => undefined);
  if (options.assets === undefined) progress("building or reusing the boot assets (scripts/lab-assets.sh)");
  const assets = options.assets ?? (await ensureLabAssets());
  const workDir = mkdtempSync(join(tmpdir(), "lbq-lab-"));
  const removeWorkDir = (): void => rmSync(workDir, { recursive: true, force: true });
  const unregister = options.keepWorkDir ? (): boolean => true : onEmergencyCleanup(removeWorkDir);
  let net: LabNet | undefined;
  let server: LabServer | undefined;
  const clients: QemuClient[] = [];
  try {
    progress("creating the network namespaces");
    net = await createLabNet({ signalHandlers: options.signalHandlers ?? true });
    const marker = options.marker ?? `lbq-${net.id}-${options.firmware}`;
    const tftpRoot = join(workDir, "tftp");
    populateTftpRoot(tftpRoot, assets, marker);
    const ctx: LabServerContext = {
      net,
      firmware: options.firmware,
      workDir,
      tftpRoot,
      client: { mac: net.clientMac, ip: net.addresses.clientIp, hostname: `lab-${net.id}` },
      names: TFTP_NAMES,
    };
    if (options.routerAdvertisements ?? true) {
      progress("starting the IPv6 router advertiser (RA only)");
      await startRouterAdvertiser(net, workDir);
    }
    progress("starting the boot server");
    server = await options.server(ctx);
    const liveNet = net;
    const lab: Lab = {
      net,
      ctx,
      server,
      marker,
      workDir,
      startClient: () => {
        const argv = qemuArgv({
          firmware: options.firmware,
          tap: liveNet.tap,
          mac: liveNet.clientMac,
          workDir,
          accel: options.accel ?? accelFromEnv(),
          monitorSocket: true,
        });
        const proc = liveNet.client.spawn(argv, { pipeStdout: true, logFile: join(workDir, "qemu.stderr") });
        const serial = new SerialConsole(proc.child.stdout!, join(workDir, "serial.log"));
        const client = { process: proc, serial, argv };
        clients.push(client);
        return client;
      },
    };
    return await body(lab);
  } finally {
    for (const c of clients) await c.process.stop(2000);
    if (server) await server.stop().catch(() => undefined);
    if (net) await net.close();
    unregister();
    if (!options.keepWorkDir) removeWorkDir();
  }
}

/** Serial milestones of a PXE boot, in the order they happen. */
export const BOOT_MILESTONES = [
  ["firmwarePxe", /^(iPXE \(PCI |>>Start PXE over IPv4)/],
  ["bootProgramLoaded", /^(iPXE \(PCI .*starting execution|\s*NBP file downloaded successfully)/],
  ["ipxeConfigured", /^Configuring \(net0 .*\)\.*\s*ok$/],
  ["scriptLoaded", /boot\.ipxe : \d+ bytes \[script\]/],
  // iPXE names the image as fetched: "kernel... ok" over TFTP, "http://HOST/kernel... ok" over HTTP.
  ["kernelLoaded", /^(\S*\/)?kernel\.\.\..*ok$/],
  // A fast kernel's first output can cut iPXE's "ok" short (see BOOTED_LINE).
  ["initrdLoaded", /^(\S*\/)?initrd\.gz\.\.\..*(ok$|LAGGBOOT-LAB-BOOTED)/],
  ["booted", BOOTED_LINE],
] as const;

export type MilestoneName = (typeof BOOT_MILESTONES)[number][0];

export interface BootResult {
  readonly firmware: Firmware;
  /** The marker the booted initramfs printed (from the kernel command line). */
  readonly markerSeen: string;
  /** Milliseconds from QEMU's start to each milestone seen on the console. */
  readonly milestonesMs: Partial<Record<MilestoneName, number>>;
  /** QEMU start to the marker line. */
  readonly bootMs: number;
  /** How QEMU ended (the initramfs powers off, so normally code 0). */
  readonly qemuExit: ExitStatus;
}

/** Start the client, wait for the marker line (`timeoutMs`), then for QEMU to power off. */
export async function bootToMarker(lab: Lab, timeoutMs = 120_000): Promise<BootResult> {
  const client = lab.startClient();
  let booted: SerialLine;
  try {
    booted = await client.serial.waitForLine(BOOTED_LINE, timeoutMs);
  } catch (e) {
    const serverLog = lab.server.logText().split("\n").slice(-30).join("\n");
    throw new Error(`${(e as Error).message}\n--- ${lab.server.name} log (tail) ---\n${serverLog}`, { cause: e });
  }
  const exitTimer = setTimeout(() => void client.process.stop(), 15_000);
  const qemuExit = await client.process.exited;
  clearTimeout(exitTimer);
  const milestonesMs: Partial<Record<MilestoneName, number>> = {};
  for (const [name, pattern] of BOOT_MILESTONES) {
    const line = client.serial.find(pattern);
    if (line) milestonesMs[name] = line.atMs;
  }
  return {
    firmware: lab.ctx.firmware,
    markerSeen: BOOTED_LINE.exec(booted.text)![1]!,
    milestonesMs,
    bootMs: booted.atMs,
    qemuExit,
  };
}
