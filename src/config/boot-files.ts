/**
 * The files clients fetch over TFTP, checked in the TFTP root as `doctor`
 * checks them: the boot program per architecture, the iPXE script, and each
 * PXE client's own boot file and iPXE script, each Linux client's kernel,
 * initrd and boot program. A missing file is one warning,
 * however many keys name it (a loader.efi named for two architectures, a
 * client's script inherited by fifty clients from defaults:).
 */
import { join } from "node:path";
import { formatKeyPath, type KeyPath } from "./findings.js";
import type { Reporter, SiteProbe } from "./load.js";
import { ARCH, type Client, type ServerConfig } from "./types.js";

const TFTP: KeyPath = ["server", "tftp"];

/** Every key that names a file in the TFTP root, with the file. */
function namedFiles(server: ServerConfig, clients: readonly { c: Client; index: number }[]): [KeyPath, string][] {
  const b = server.tftp.bootFiles;
  const named: [KeyPath, string | undefined][] = [
    [[...TFTP, "bootFiles", "bios"], b.bios],
    [[...TFTP, "bootFiles", "x64Uefi"], b.x64Uefi],
    [[...TFTP, "ipxeScript"], server.tftp.ipxeScript],
    [[...TFTP, "bootFiles", "ia32Uefi"], b.ia32Uefi],
    [[...TFTP, "bootFiles", "arm64Uefi"], b.arm64Uefi],
  ];
  // byArch as written (the folded-in bios/UEFI entries are named above).
  const folded = new Set<number>(Object.values(ARCH));
  for (const [arch, f] of b.byArch) if (!folded.has(arch)) named.push([[...TFTP, "bootFiles", "byArch", String(arch)], f]);
  for (const { c, index } of clients) {
    if (c.kind === "pxe") named.push([["clients", index, "bootFile"], c.bootFile], [["clients", index, "ipxeScript"], c.ipxeScript]);
    if (c.kind === "linux-lagg") {
      for (const key of ["kernel", "initrd", "bootFile"] as const) named.push([["clients", index, "boot", key], c.boot[key]]);
    }
  }
  return named.filter((e): e is [KeyPath, string] => e[1] !== undefined);
}

/** Names at most three keys, then how many more. */
function others(paths: readonly KeyPath[]): string {
  if (paths.length === 0) return "";
  const shown = paths.slice(0, 3).map(formatKeyPath).join(", ");
  return ` (also named by ${shown}${paths.length > 3 ? ` and ${paths.length - 3} more` : ""})`;
}

export function checkBootFiles(server: ServerConfig, clients: readonly { c: Client; index: number }[], rep: Reporter, probe: SiteProbe): void {
  const root = server.tftp.root;
  const rootPath: KeyPath = [...TFTP, "root"];
  const kind = probe.kindOf(root);
  if (kind === "missing") {
    rep.add("LB_WARN_BOOT_FILE_MISSING", rootPath, `TFTP root ${root} does not exist on this machine; boot files were not checked`);
    return;
  }
  if (kind !== "dir") {
    rep.add("LB_ERR_SCHEMA", rootPath, `TFTP root ${root} is not a directory`);
    return;
  }
  const byFile = new Map<string, KeyPath[]>();
  for (const [path, f] of namedFiles(server, clients)) byFile.set(f, [...(byFile.get(f) ?? []), path]);
  for (const [f, paths] of byFile) {
    if (probe.kindOf(join(root, f)) === "file") continue;
    rep.add("LB_WARN_BOOT_FILE_MISSING", paths[0]!, `${f} is not a file in the TFTP root ${root}${others(paths.slice(1))}`, { also: [rootPath] });
  }
}
