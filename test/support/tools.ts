/**
 * The outside programs the tests run, each with the Debian package that
 * provides it. scripts/setup.sh installs every package named here (a unit
 * test holds the two in step), and `requireTool` turns a missing program into
 * a failure that names its package instead of a bare ENOENT.
 */
import { accessSync, constants } from "node:fs";
import { delimiter, join } from "node:path";

export const TOOL_PACKAGES: Readonly<Record<string, string>> = {
  ip: "iproute2",
  nft: "nftables",
  tcpdump: "tcpdump",
  dnsmasq: "dnsmasq-base",
  "kea-dhcp4": "kea-dhcp4-server",
  perfdhcp: "kea-admin",
  dhcpd: "isc-dhcp-server",
  dhclient: "isc-dhcp-client",
  busybox: "busybox-static",
  "in.tftpd": "tftpd-hpa",
  tftp: "tftp-hpa",
  atftp: "atftp",
  curl: "curl",
  wget: "wget",
  shellcheck: "shellcheck",
  posh: "posh",
  dash: "dash",
  gcc: "gcc",
  "systemd-analyze": "systemd",
  "ganesha.nfsd": "nfs-ganesha",
  rpcbind: "rpcbind",
  "qemu-system-x86_64": "qemu-system-x86",
  wpa_supplicant: "wpasupplicant",
  wpa_passphrase: "wpasupplicant",
};

/** PATH plus the sbin directories a root shell has, where server programs live. */
function searchPath(): string[] {
  const dirs = (process.env.PATH ?? "").split(delimiter).filter((d) => d !== "");
  for (const d of ["/usr/local/sbin", "/usr/sbin", "/sbin", "/usr/bin", "/bin"]) if (!dirs.includes(d)) dirs.push(d);
  return dirs;
}

/** The full path of `name`, or undefined when no executable of that name is found. */
export function findTool(name: string): string | undefined {
  const candidates = name.includes("/") ? [name] : searchPath().map((d) => join(d, name));
  for (const p of candidates) {
    try {
      accessSync(p, constants.X_OK);
      return p;
    } catch {
      // not here
    }
  }
  return undefined;
}

/**
 * Throws, naming the Debian package, when a program the tests know is missing.
 * Programs not in the table (our own binaries, absolute test paths) pass through.
 */
export function requireTool(name: string): void {
  const base = name.slice(name.lastIndexOf("/") + 1);
  const pkg = TOOL_PACKAGES[base];
  if (pkg === undefined || findTool(name) !== undefined) return;
  throw new Error(`${base} is missing: apt-get install ${pkg} (scripts/setup.sh installs every package the tests use)`);
}
