/**
 * Every file a diskless Linux client (kind lagg, os linux) needs in its root
 * for its bond (docs/linux-clients.md):
 * - bond.at initramfs (the default): Debian initramfs-tools' hook (adds the
 *   bonding driver) and nfs-top script (builds the bond before the root is
 *   mounted), installed where mkinitramfs picks them up; the site rebuilds
 *   the initrd with update-initramfs and serves it as boot.initrd;
 * - bond.at runtime: laggboot-flip and the systemd unit that runs it early;
 * - root.nfsVersion 4 (either bond.at): initramfs-tools' boot script
 *   laggboot-nfs, which mounts the root over NFSv4, and its hook;
 * - backup.wifi (either bond.at): laggboot-wifi, its unit, and the
 *   wpa_supplicant.conf it runs wpa_supplicant with (0600: it holds the key);
 * - both: a NetworkManager snippet that keeps NetworkManager off the bond and
 *   its ports (reconfiguring them would cut the root).
 * The bond's MACs and options travel on the kernel command line (the
 * per-client iPXE script), so the scripts are the same for every client.
 */
import type { LinuxLaggClient } from "../config/types.js";
import type { FileSet, GeneratedFile } from "./fileset.js";
import { generatedHeader } from "./header.js";
import { renderLinuxWpaConf } from "./wpa-supplicant.js";

/** The shipped scripts (assets/linux/), read by the caller. */
export interface LinuxClientAssets {
  readonly nfsTopScript: string;
  readonly initramfsHook: string;
  readonly flipScript: string;
  /** The NFSv4 root's boot script and the hook that adds nfsv4 to the initrd. */
  readonly nfsBootScript: string;
  readonly nfsHook: string;
  /** Runs wpa_supplicant on a Wi-Fi backup NIC and adds it to the bond. */
  readonly wifiScript: string;
}

export const LINUX_PATHS = {
  nfsTopScript: "etc/initramfs-tools/scripts/nfs-top/laggboot-bond",
  initramfsHook: "etc/initramfs-tools/hooks/laggboot-bond",
  nfsBootScript: "etc/initramfs-tools/scripts/laggboot-nfs",
  nfsHook: "etc/initramfs-tools/hooks/laggboot-nfs",
  flipScript: "usr/sbin/laggboot-flip",
  flipUnit: "etc/systemd/system/laggboot-flip.service",
  flipWanted: "etc/systemd/system/sysinit.target.d/laggboot-flip.conf",
  networkManager: "etc/NetworkManager/conf.d/laggboot-bond.conf",
  wifiScript: "usr/sbin/laggboot-wifi",
  wifiUnit: "etc/systemd/system/laggboot-wifi.service",
  wifiWanted: "etc/systemd/system/multi-user.target.d/laggboot-wifi.conf",
  wpaConf: "etc/laggboot/wpa_supplicant.conf",
} as const;

const FLIP_UNIT = `[Unit]
Description=laggboot: move the diskless boot address onto the bond (laggboot-flip)
ConditionKernelCommandLine=laggboot.flip
DefaultDependencies=no
After=systemd-remount-fs.service systemd-modules-load.service
Before=sysinit.target network-pre.target
Wants=network-pre.target

[Service]
Type=oneshot
RemainAfterExit=yes
ExecStart=/usr/sbin/laggboot-flip
# No ExecStop: moving the address back would cut the NFS root.
`;

const WIFI_UNIT = `[Unit]
Description=laggboot: the Wi-Fi backup port of the bond (wpa_supplicant, then laggboot-wifi adds it)
ConditionKernelCommandLine=|laggboot.bond
ConditionKernelCommandLine=|laggboot.flip
After=laggboot-flip.service

[Service]
Type=simple
ExecStart=/usr/sbin/laggboot-wifi
# wpa_supplicant runs as this service's main child; if it dies, associate again.
Restart=on-failure
RestartSec=10
# 3: nothing changes by trying again (no bond, a driver that refuses the bond's MAC).
RestartPreventExitStatus=3
`;

function networkManagerConf(c: LinuxLaggClient): string {
  const macs = [c.macs[0]!, ...(c.backupMac !== undefined ? [c.backupMac] : [])];
  const devices = [`interface-name:${c.bond.name}`, ...macs.map((m) => `mac:${m}`)].join(";");
  return [
    generatedHeader(`NetworkManager: leave ${c.bond.name} and its ports alone (laggboot, client ${c.name})`).trimEnd(),
    `# The NFS root's path runs over ${c.bond.name}; reconfiguring it or its ports would cut the root.`,
    "[keyfile]",
    `unmanaged-devices=${devices}`,
    "",
  ].join("\n");
}

export function renderLinuxClientFiles(c: LinuxLaggClient, assets: LinuxClientAssets): FileSet {
  const files: GeneratedFile[] = [];
  if (c.bond.at === "initramfs") {
    files.push({ path: LINUX_PATHS.nfsTopScript, content: assets.nfsTopScript, mode: 0o755 });
    files.push({ path: LINUX_PATHS.initramfsHook, content: assets.initramfsHook, mode: 0o755 });
  } else {
    files.push({ path: LINUX_PATHS.flipScript, content: assets.flipScript, mode: 0o755 });
    files.push({ path: LINUX_PATHS.flipUnit, content: FLIP_UNIT, mode: 0o644 });
    files.push({ path: LINUX_PATHS.flipWanted, content: "[Unit]\nWants=laggboot-flip.service\n", mode: 0o644 });
  }
  if (c.root.nfsVersion === 4) {
    // Either bond.at: the initramfs mounts the root, so it needs the NFSv4 boot script.
    // A boot script is sourced by /init, not run (as /scripts/nfs, 0644).
    files.push({ path: LINUX_PATHS.nfsBootScript, content: assets.nfsBootScript, mode: 0o644 });
    files.push({ path: LINUX_PATHS.nfsHook, content: assets.nfsHook, mode: 0o755 });
  }
  const wpa = renderLinuxWpaConf(c);
  if (wpa !== undefined) {
    // Either bond.at: the Wi-Fi port joins the bond after boot.
    files.push({ path: LINUX_PATHS.wifiScript, content: assets.wifiScript, mode: 0o755 });
    files.push({ path: LINUX_PATHS.wifiUnit, content: WIFI_UNIT, mode: 0o644 });
    files.push({ path: LINUX_PATHS.wifiWanted, content: "[Unit]\nWants=laggboot-wifi.service\n", mode: 0o644 });
    files.push({ path: LINUX_PATHS.wpaConf, content: wpa, mode: 0o600 });
  }
  files.push({ path: LINUX_PATHS.networkManager, content: networkManagerConf(c), mode: 0o644 });
  return { baseDir: c.root.path, files };
}
