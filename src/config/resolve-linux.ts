/**
 * A diskless Linux client (`kind: lagg`, `os: linux`) from its schema-valid
 * values: its root, its bond's ports (the backup a second cable or Wi-Fi),
 * its boot files, and the checks that need more than one value.
 */
import { parseMac } from "./addr.js";
import { archFileKeys, foldArchFiles } from "./boot-files.js";
import type { KeyPath } from "./findings.js";
import type { Reporter, SiteProbe } from "./load.js";
import { normalizeDir } from "./roots.js";
import type { LinuxLaggParsed } from "./schema.js";
import { linuxIpxeScriptPath, type LinuxLaggClient, type ServerConfig, type WpaNetwork } from "./types.js";
import { unsafeForConfigs } from "./values.js";
import { resolveWpaPassphrase } from "./wpa-network.js";

export type LinuxCommon = Pick<LinuxLaggClient, "name" | "fqdn" | "ip" | "macs" | "network" | "bootProtocol" | "uefiPxe">;

/** Without a network (`common` undefined) the client's other values are still checked, and nothing is returned. */
export function resolveLinuxClient(c: LinuxLaggParsed, path: KeyPath, common: LinuxCommon | undefined, server: ServerConfig, rep: Reporter, probe: SiteProbe): LinuxLaggClient | undefined {
  const rootPath = c.root.path === undefined ? `${server.nfs.rootsDir === "/" ? "" : server.nfs.rootsDir}/${c.name}` : normalizeDir(c.root.path);
  if (rootPath === "/") rep.add("LB_ERR_ROOT_PATH", [...path, "root", "path"], "a client root cannot be /: exported read-write with root access it hands the whole server to the client");
  const why = unsafeForConfigs(rootPath);
  if (why) rep.add("LB_ERR_UNSAFE_VALUE", [...path, "root", "path"], why);
  const backupMac = c.backup ? parseMac(c.backup.mac)! : undefined;
  if (backupMac !== undefined && backupMac === parseMac(c.macs[0]!)) {
    rep.add("LB_ERR_DUPLICATE", [...path, "backup", "mac"], `the backup NIC's MAC ${backupMac} is the wired NIC's (macs[0]); the bond needs two NICs`);
  }
  let backupWifi: WpaNetwork | undefined;
  if (c.backup?.wifi !== undefined) {
    const w = c.backup.wifi;
    const passphrase = resolveWpaPassphrase(w, [...path, "backup", "wifi"], rep, probe);
    backupWifi = { ssid: w.ssid, passphrase, country: w.country };
  }
  for (const key of ["upDelayMs", "downDelayMs"] as const) {
    if (c.bond[key] % c.bond.miimonMs !== 0) {
      rep.add("LB_ERR_SCHEMA", [...path, "bond", key], `${c.bond[key]} is not a multiple of bond.miimonMs (${c.bond.miimonMs}); bonding would round it down`);
    }
  }
  const boot = c.boot;
  const files: [KeyPath, string | undefined][] = [
    [[...path, "boot", "kernel"], boot.kernel], [[...path, "boot", "initrd"], boot.initrd], [[...path, "boot", "bootFile"], boot.bootFile],
    ...archFileKeys([...path, "boot", "bootFiles"], boot.bootFiles ?? {}),
  ];
  for (const [key, f] of files) {
    const bad = f === undefined ? undefined : unsafeForConfigs(f);
    if (bad) rep.add("LB_ERR_UNSAFE_VALUE", key, bad);
  }
  if (!common) return undefined;
  return {
    kind: "linux-lagg", ...common, backupMac, backupWifi,
    root: { path: rootPath, readOnly: c.root.readOnly, nfsVersion: c.root.nfsVersion },
    nfsServer: server.nfs.server,
    rootPath: undefined,
    boot: {
      kernel: boot.kernel, initrd: boot.initrd, kernelArgs: boot.kernelArgs, bootFile: boot.bootFile,
      bootFiles: foldArchFiles(boot.bootFiles ?? {}), ipxeScript: linuxIpxeScriptPath(c.name),
    },
    bond: c.bond,
  };
}
