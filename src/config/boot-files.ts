/**
 * The files clients fetch over TFTP, checked in the TFTP root as `doctor`
 * checks them: the boot program per architecture, the iPXE script, and each
 * PXE client's own boot file and iPXE script, each Linux client's kernel,
 * initrd and boot programs. A missing file is one warning,
 * however many keys name it (a loader.efi named for two architectures, a
 * client's script inherited by fifty clients from defaults:).
 */
import { join } from "node:path";
import { formatKeyPath, type KeyPath } from "./findings.js";
import type { Reporter, SiteProbe } from "./load.js";
import { ARCH, type Client, type ServerConfig } from "./types.js";

const TFTP: KeyPath = ["server", "tftp"];

/** Boot programs by name, as server.tftp.bootFiles and a Linux client's boot.bootFiles write them. */
export interface NamedArchFiles {
  readonly bios?: string | undefined;
  readonly ia32Uefi?: string | undefined;
  readonly x64Uefi?: string | undefined;
  readonly arm64Uefi?: string | undefined;
  readonly byArch?: Readonly<Record<string, string>> | undefined;
}

/** The same by option 93 number: byArch, then the named ones over it (x64Uefi for 7 and 9). */
export function foldArchFiles(b: NamedArchFiles): Map<number, string> {
  const byArch = new Map<number, string>();
  for (const [k, v] of Object.entries(b.byArch ?? {})) byArch.set(Number(k), v);
  if (b.bios !== undefined) byArch.set(ARCH.bios, b.bios);
  if (b.x64Uefi !== undefined) {
    byArch.set(ARCH.x64Uefi, b.x64Uefi);
    byArch.set(ARCH.ebcX64Uefi, b.x64Uefi);
  }
  if (b.ia32Uefi !== undefined) byArch.set(ARCH.ia32Uefi, b.ia32Uefi);
  if (b.arm64Uefi !== undefined) byArch.set(ARCH.arm64Uefi, b.arm64Uefi);
  return byArch;
}

/** Where a folded table's architecture is written (bios, x64Uefi for 7 and 9, ..., else byArch.N). */
function archKey(arch: number): KeyPath {
  switch (arch) {
    case ARCH.bios: return ["bios"];
    case ARCH.ia32Uefi: return ["ia32Uefi"];
    case ARCH.x64Uefi: case ARCH.ebcX64Uefi: return ["x64Uefi"];
    case ARCH.arm64Uefi: return ["arm64Uefi"];
    default: return ["byArch", String(arch)];
  }
}

/** Key paths of the files a table holds, as written (bios, x64Uefi, ..., byArch.N). */
export function archFileKeys(base: KeyPath, b: NamedArchFiles): [KeyPath, string][] {
  const named: [KeyPath, string | undefined][] = [
    [[...base, "bios"], b.bios], [[...base, "x64Uefi"], b.x64Uefi], [[...base, "ia32Uefi"], b.ia32Uefi], [[...base, "arm64Uefi"], b.arm64Uefi],
    ...Object.entries(b.byArch ?? {}).map(([k, v]): [KeyPath, string] => [[...base, "byArch", k], v]),
  ];
  return named.filter((e): e is [KeyPath, string] => e[1] !== undefined);
}

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
      for (const [arch, f] of c.boot.bootFiles) named.push([["clients", index, "boot", "bootFiles", ...archKey(arch)], f]);
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
