/**
 * A Linux client's iPXE script: its kernel and initrd, fetched from a base
 * URL (laggboot's TFTP server, `tftp://SERVER/`, or a boot-file HTTP server,
 * `http://SERVER:PORT/`), and the kernel command line that boots Debian's
 * initramfs-tools from the client's NFS root with its bond
 * (docs/linux-clients.md). Pure: the inventory client and the base URL in,
 * the script out. laggboot serves it per client as laggboot/NAME.ipxe.
 */
import { LaggbootError } from "../errors.js";
import type { LinuxLaggClient } from "../config/types.js";

/**
 * `laggboot.bond=` (initramfs) or `laggboot.flip=` (run time): the bond's
 * name, its ports by MAC (the wired NIC first: the bond takes its MAC and
 * makes it the primary; a Wi-Fi backup as wifi=, for laggboot-wifi) and the
 * bonding options, as the nfs-top script
 * assets/linux/initramfs-tools/scripts/nfs-top/laggboot-bond and the
 * run-time assets/linux/laggboot-flip read them.
 */
export function bondSpec(c: LinuxLaggClient): string {
  const b = c.bond;
  const parts = [b.name, `wired=${c.macs[0]!}`];
  // A Wi-Fi port joins after boot (laggboot-wifi reads wifi=); the initramfs and the flip leave it alone.
  if (c.backupMac !== undefined) parts.push(`${c.backupWifi === undefined ? "backup" : "wifi"}=${c.backupMac}`);
  parts.push(`miimon=${b.miimonMs}`, `updelay=${b.upDelayMs}`, `downdelay=${b.downDelayMs}`, `num_grat_arp=${b.gratuitousArps}`);
  return parts.join(",");
}

const basename = (p: string): string => p.slice(p.lastIndexOf("/") + 1);

/** initramfs-tools' boot script for NFSv4 roots (assets/linux/initramfs-tools/scripts/laggboot-nfs). */
export const NFS4_BOOT_SCRIPT = "laggboot-nfs";

/**
 * The kernel command line, in the order initramfs-tools reads it:
 * initrd= (the EFI stub loads the initrd by this name under iPXE EFI),
 * root=/dev/nfs (BOOT=nfs: Debian's NFSv3 mount), for an NFSv4 root
 * boot=laggboot-nfs (laggboot's boot script mounts it instead),
 * nfsroot=SERVER:PATH, ip=dhcp with BOOTIF=01-MAC (so the plain path,
 * without a bond, boots on the wired NIC), rw/ro, the bond, then the
 * inventory's own kernelArgs.
 */
export function linuxKernelArgs(c: LinuxLaggClient): string[] {
  const args = [
    `initrd=${basename(c.boot.initrd)}`,
    "root=/dev/nfs",
    ...(c.root.nfsVersion === 4 ? [`boot=${NFS4_BOOT_SCRIPT}`] : []),
    `nfsroot=${c.nfsServer}:${c.root.path}`,
    "ip=dhcp",
    `BOOTIF=01-${c.macs[0]!.replace(/:/g, "-")}`,
    c.root.readOnly ? "ro" : "rw",
    `${c.bond.at === "initramfs" ? "laggboot.bond" : "laggboot.flip"}=${bondSpec(c)}`,
  ];
  if (c.boot.kernelArgs !== "") args.push(...c.boot.kernelArgs.split(" "));
  return args;
}

/** `baseUrl` must end in "/" and carry no iPXE setting (`${...}`) or white space. */
export function renderLinuxIpxeScript(c: LinuxLaggClient, baseUrl: string): string {
  if (!/^(tftp|http|https):\/\/[A-Za-z0-9.:[\]-]+(\/[A-Za-z0-9._~%/-]*)?\/$/.test(baseUrl)) {
    throw new LaggbootError("LB_ERR_RENDER", `iPXE script for ${c.name}: base URL ${JSON.stringify(baseUrl)} is not a tftp:// or http:// URL ending in "/"`);
  }
  const backup = c.backupWifi === undefined ? "backup" : "Wi-Fi backup, added after boot by laggboot-wifi";
  const ports = c.backupMac === undefined ? `${c.macs[0]!} (wired, primary)` : `${c.macs[0]!} (wired, primary) + ${c.backupMac} (${backup})`;
  const where = c.bond.at === "initramfs" ? "built by the initramfs before the root is mounted" : "taken over from the wired NIC after boot (laggboot-flip)";
  return [
    "#!ipxe",
    `# laggboot: Linux client ${c.name} (${c.ip}), NFS root ${c.nfsServer}:${c.root.path}${c.root.nfsVersion === 4 ? " over NFSv4" : ""}`,
    `# ${c.bond.name}: active-backup of ${ports}, ${where}`,
    `kernel ${baseUrl}${c.boot.kernel} ${linuxKernelArgs(c).join(" ")}`,
    `initrd ${baseUrl}${c.boot.initrd}`,
    "boot",
    "",
  ].join("\n");
}
