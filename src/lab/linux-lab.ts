/**
 * The lab's diskless Linux client: a real kernel on an NFS root whose
 * network path is an active-backup bond, booted by real PXE firmware from
 * `laggboot serve`, with its cables pulled through QEMU's monitor.
 *
 *   [server ns]  laggboot serve (DHCP, TFTP: the per-client iPXE script,
 *                kernel, initrd), nfs-ganesha + rpcbind (the client's root),
 *                RA-only dnsmasq
 *     veth ===== [client ns] br0 -- tap0 -- QEMU NIC "wired"  (iPXE ROM, bond primary)
 *                                \-- tap1 -- QEMU NIC "backup" (no ROM)
 *
 * Both taps sit on one bridge: one L2 segment, like a switch port and an
 * access point of one LAN. With `backupWifi` the backup NIC stands in for a
 * Wi-Fi NIC (the cloud kernel has no wireless stack): laggboot-wifi adds it
 * to the bond after boot, running the lab's stand-in for wpa_supplicant. The client's root is unpacked per run, then
 * `laggboot apply` writes the client files into it; the initrd is Debian's
 * initramfs-tools layout plus the scripts apply wrote (linux-assets.ts).
 * The root's /sbin/init starts a heartbeat (scripts/linux-client/). Every
 * namespace, process and file is removed at the end, also on failure.
 */
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ganeshaConf, startGanesha, type Ganesha } from "./ganesha.js";
import { parseHeartbeat, type Beat } from "./heartbeat.js";
import { TFTP_NAMES } from "./assets.js";
import type { LabServerContext } from "./lab.js";
import { LAB_HTTP_PORT, LAGGBOOT_CLI, laggbootServe, type LaggbootServer } from "./laggboot-serve.js";
import { buildInitrd, ensureLinuxClientAssets, unpackRoot, type LinuxClientAssets } from "./linux-assets.js";
import { QemuMonitor } from "./monitor.js";
import { createLabNet, onEmergencyCleanup, type LabNet } from "./net.js";
import { run, waitUntil, type ManagedProcess } from "./proc.js";
import { qemuArgv, SerialConsole, type SerialLine } from "./qemu.js";
import { startRouterAdvertiser } from "./router-adverts.js";

/** The client's two NICs, as the monitor names them. */
export type Port = "wired" | "backup";

/** What the inventory says about the client; changed between boots with `reconfigure`. */
export interface LinuxClientSetup {
  readonly bondAt: "initramfs" | "runtime";
  /** Appended to the kernel command line (the lab's marker and controls). */
  readonly kernelArgs: string;
  /** root.nfsVersion (default 3). */
  readonly nfsVersion?: 3 | 4;
  /** The backup NIC as a Wi-Fi port (backup.wifi): joined after boot by laggboot-wifi, with the lab's stand-in for wpa_supplicant. */
  readonly backupWifi?: boolean;
}

export interface LinuxLabOptions {
  readonly setup: LinuxClientSetup;
  readonly accel?: "tcg" | "kvm";
  readonly signalHandlers?: boolean;
  readonly keepWorkDir?: boolean;
  readonly progress?: (what: string) => void;
  readonly assets?: LinuxClientAssets;
}

export interface LinuxClientVm {
  readonly process: ManagedProcess;
  readonly serial: SerialConsole;
  readonly monitor: QemuMonitor;
  /** Plug (true) or pull (false) a virtual cable: the guest sees the carrier change. */
  setLink(port: Port, up: boolean): Promise<void>;
  /** The reset button: the firmware PXE-boots again. */
  reset(): Promise<void>;
}

export interface LinuxLab {
  readonly net: LabNet;
  readonly workDir: string;
  readonly server: LaggbootServer;
  readonly ganesha: Ganesha;
  readonly client: { readonly name: string; readonly ip: string; readonly wiredMac: string; readonly backupMac: string };
  /** The client's root on this machine (exported by ganesha). */
  readonly rootDir: string;
  readonly inventoryPath: string;
  /** The scripts the last initrd got from the root (e.g. /scripts/nfs-top/laggboot-bond). */
  initrdScripts(): readonly string[];
  startClient(): Promise<LinuxClientVm>;
  /** New inventory, `laggboot apply` and a new initrd, then `laggboot reload`: for the next boot. */
  reconfigure(setup: LinuxClientSetup): Promise<void>;
  /** The heartbeat the client announced on its console (a path on its root), as beats. */
  heartbeat(clientPath: string): Beat[];
}

/** A boot's console line announcing the heartbeat, and the file it writes. */
export const HEARTBEAT_LINE = /^LAGGBOOT-LINUX heartbeat-started file=(\S+)$/;

/** The backup NIC's MAC: the wired one with the top bit of its last byte flipped (unique to the run too). */
const backupMacFor = (mac: string): string => {
  const parts = mac.split(":");
  parts[5] = ((parseInt(parts[5]!, 16) ^ 0x80) & 0xff).toString(16).padStart(2, "0");
  return parts.join(":");
};

export function linuxLabInventory(ctx: LabServerContext, client: LinuxLab["client"], rootsDir: string, setup: LinuxClientSetup): string {
  const a = ctx.net.addresses;
  const args = setup.kernelArgs === "" ? "" : `, kernelArgs: "${setup.kernelArgs}"`;
  return [
    "# laggboot lab inventory for a diskless Linux client (src/lab/linux-lab.ts; docs/linux-clients.md)",
    "version: 1",
    "server:",
    `  address: ${a.serverIp}`,
    "  networks:",
    "    - name: lab",
    `      prefix: ${a.subnet}`,
    `      serverAddress: ${a.serverIp}`,
    "      domain: lab.example",
    "  tftp:",
    `    root: ${ctx.tftpRoot}`,
    `    bootFiles: { bios: ${ctx.names.biosBootProgram}, x64Uefi: ${ctx.names.uefiBootProgram} }`,
    `  nfs: { rootsDir: ${rootsDir} }`,
    `  storage: { path: ${join(ctx.workDir, "leases.sqlite")} }`,
    `  http: { address: 127.0.0.1, port: ${LAB_HTTP_PORT} }`,
    "clients:",
    "  # QEMU with two virtio NICs: the wired one (iPXE ROM) and the backup.",
    `  - name: ${client.name}`,
    "    kind: lagg",
    "    os: linux",
    `    ip: ${client.ip}`,
    `    macs: [${client.wiredMac}]`,
    setup.backupWifi === true
      ? `    backup: { mac: ${client.backupMac}, wifi: { ssid: "laggboot lab", passphrase: "lab passphrase" } }`
      : `    backup: { mac: ${client.backupMac} }`,
    `    boot: { kernel: linux/vmlinuz, initrd: linux/initrd.img${args} }`,
    `    bond: { at: ${setup.bondAt} }`,
    ...(setup.nfsVersion === undefined ? [] : [`    root: { nfsVersion: ${setup.nfsVersion} }`]),
    "",
  ].join("\n");
}

export async function withLinuxLab<T>(options: LinuxLabOptions, body: (lab: LinuxLab) => Promise<T>): Promise<T> {
  const progress = options.progress ?? ((): void => undefined);
  if (options.assets === undefined) progress("building or reusing the Linux client's assets (scripts/linux-client-assets.sh)");
  const assets = options.assets ?? (await ensureLinuxClientAssets());
  const workDir = mkdtempSync(join(tmpdir(), "lbq-linux-"));
  const removeWorkDir = (): void => rmSync(workDir, { recursive: true, force: true });
  const unregister = options.keepWorkDir ? (): boolean => true : onEmergencyCleanup(removeWorkDir);
  let net: LabNet | undefined;
  let server: LaggbootServer | undefined;
  let ganesha: Ganesha | undefined;
  const vms: LinuxClientVm[] = [];
  try {
    progress("creating the network namespaces (two taps on one bridge)");
    net = await createLabNet({ signalHandlers: options.signalHandlers ?? true, taps: 2 });
    const client = { name: `tux-${net.id}`, ip: net.addresses.clientIp, wiredMac: net.clientMac, backupMac: backupMacFor(net.clientMac) };
    const rootsDir = join(workDir, "roots");
    const rootDir = join(rootsDir, client.name);
    const tftpRoot = join(workDir, "tftp");
    mkdirSync(join(tftpRoot, "linux"), { recursive: true, mode: 0o755 });
    copyFileSync(assets.vmlinuz, join(tftpRoot, "linux/vmlinuz"));
    for (const f of [TFTP_NAMES.biosBootProgram, TFTP_NAMES.uefiBootProgram]) {
      if (existsSync(`/usr/lib/ipxe/${f}`)) copyFileSync(`/usr/lib/ipxe/${f}`, join(tftpRoot, f));
    }
    progress("unpacking the client's NFS root");
    await unpackRoot(assets, rootDir);
    const ctx: LabServerContext = {
      net, firmware: "bios", workDir, tftpRoot, names: TFTP_NAMES,
      client: { mac: client.wiredMac, ip: client.ip, hostname: client.name },
    };
    const inventoryPath = join(workDir, "laggboot.yaml");
    const pidFile = join(workDir, "serve.pid");
    let initrdScripts: string[] = [];
    const prepare = async (setup: LinuxClientSetup): Promise<void> => {
      writeFileSync(inventoryPath, linuxLabInventory(ctx, client, rootsDir, setup));
      await run([process.execPath, LAGGBOOT_CLI, "apply", "--root", "/", "--config", inventoryPath, "--no-diff"], 60_000);
      initrdScripts = await buildInitrd(assets, rootDir, join(tftpRoot, "linux/initrd.img"), workDir);
    };
    progress("laggboot apply: the client files into its root; the initrd from them");
    await prepare(options.setup);
    progress("starting the IPv6 router advertiser (RA only)");
    await startRouterAdvertiser(net, workDir);
    progress("starting laggboot serve");
    // laggbootServe writes the inventory again from this function: the same text.
    server = (await laggbootServe(() => readFileSync(inventoryPath, "utf8"), ["--pidfile", pidFile])(ctx)) as LaggbootServer;
    progress("starting nfs-ganesha (the client's root, NFSv3 over TCP)");
    const liveNs = net.server;
    const exports = [{ path: rootDir, client: client.ip, readOnly: false }];
    ganesha = await startGanesha((argv, o) => liveNs.spawn(argv, o), workDir, ganeshaConf(net.addresses.serverIp, exports));
    const liveNet = net;
    const liveServer = server;
    const lab: LinuxLab = {
      net, workDir, server, ganesha, client, rootDir, inventoryPath,
      initrdScripts: () => initrdScripts,
      startClient: async () => {
        const argv = qemuArgv({
          firmware: "bios", tap: liveNet.tap, mac: client.wiredMac, workDir,
          accel: options.accel ?? (process.env["LAGGBOOT_LAB_ACCEL"] === "kvm" ? "kvm" : "tcg"),
          monitorSocket: true, rebootOnReset: true,
          nics: [
            { id: "wired", tap: liveNet.taps[0]!, mac: client.wiredMac, bootRom: true },
            { id: "backup", tap: liveNet.taps[1]!, mac: client.backupMac, bootRom: false },
          ],
        });
        const proc = liveNet.client.spawn(argv, { pipeStdout: true, logFile: join(workDir, "qemu.stderr") });
        const serial = new SerialConsole(proc.child.stdout!, join(workDir, "serial.log"));
        const monitor = await QemuMonitor.open(join(workDir, "monitor.sock"));
        const vm: LinuxClientVm = {
          process: proc, serial, monitor,
          setLink: async (port, up) => void (await monitor.command(`set_link ${port} ${up ? "on" : "off"}`)),
          reset: async () => void (await monitor.command("system_reset")),
        };
        vms.push(vm);
        return vm;
      },
      reconfigure: async (setup) => {
        await prepare(setup);
        const before = liveServer.logLines().filter((l) => l["msg"] === "reloaded").length;
        await run([process.execPath, LAGGBOOT_CLI, "reload", "--pidfile", pidFile, "--config", inventoryPath], 30_000);
        await waitUntil("laggboot serve to reload the inventory", () => liveServer.logLines().filter((l) => l["msg"] === "reloaded").length > before, 15_000, 100);
      },
      heartbeat: (clientPath) => {
        const f = join(rootDir, clientPath);
        return existsSync(f) ? parseHeartbeat(readFileSync(f, "utf8")) : [];
      },
    };
    return await body(lab);
  } finally {
    for (const vm of vms) {
      vm.monitor.close();
      await vm.process.stop(2000);
    }
    if (ganesha) await ganesha.stop().catch(() => undefined);
    if (server) await server.stop().catch(() => undefined);
    if (net) await net.close();
    unregister();
    if (!options.keepWorkDir) removeWorkDir();
  }
}

/** Wait for a boot's heartbeat to start; returns its file (a path on the client root) and the console line. */
export async function waitForHeartbeat(vm: LinuxClientVm, after: number, timeoutMs: number): Promise<{ readonly file: string; readonly line: SerialLine }> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const line = vm.serial.lines.slice(after).find((l) => HEARTBEAT_LINE.test(l.text));
    if (line) return { file: HEARTBEAT_LINE.exec(line.text)![1]!, line };
    if (Date.now() > deadline) throw new Error(`no heartbeat started within ${timeoutMs} ms; console:\n${vm.serial.tail(30)}`);
    if (vm.process.hasExited()) throw new Error(`QEMU exited before the heartbeat started; console:\n${vm.serial.tail(30)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
