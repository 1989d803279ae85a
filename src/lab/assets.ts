/**
 * Boot assets for the lab, built by scripts/lab-assets.sh into a cache outside
 * the repository ($LAGGBOOT_LAB_CACHE, default /var/cache/laggboot-lab), and a
 * fresh TFTP root per run holding copies of them plus an iPXE script whose
 * kernel command line carries a marker unique to the run.
 */
import { copyFileSync, existsSync, mkdirSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { run } from "./proc.js";

export interface LabAssets {
  readonly cacheDir: string;
  readonly kernel: string;
  readonly initrd: string;
  readonly ipxeEfi: string;
  readonly undionly: string;
  readonly snponly: string;
}

/**
 * The line /init prints on ttyS0; the marker is the kernel's `lbmarker=`. Not
 * anchored at the start: a fast kernel's output can land on the same console
 * line as iPXE's last "ok" (seen under TCG: `initrd.gz... oLAGGBOOT-LAB-BOOTED ...`).
 */
export const BOOTED_LINE = /LAGGBOOT-LAB-BOOTED marker=(\S+)$/;

/** Names in the TFTP root, as servers should hand them out. */
export const TFTP_NAMES = {
  /** iPXE for BIOS clients that are not iPXE yet (a plain PXE ROM). */
  biosBootProgram: "undionly.kpxe",
  /** iPXE for UEFI x64 clients (arch 7) whose firmware PXE runs first. */
  uefiBootProgram: "ipxe.efi",
  /** The iPXE script, for clients that already run iPXE (option 175 / user class iPXE). */
  ipxeScript: "boot.ipxe",
  kernel: "kernel",
  initrd: "initrd.gz",
} as const;

const here = dirname(fileURLToPath(import.meta.url));
/** scripts/lab-assets.sh, found from dist/src/lab (built, or installed as a package) or src/lab. */
export function assetScriptPath(): string {
  const candidates = [resolve(here, "../../../scripts/lab-assets.sh"), resolve(here, "../../scripts/lab-assets.sh")];
  const found = candidates.find((p) => existsSync(p));
  if (found === undefined) throw new Error(`scripts/lab-assets.sh not found from ${here}`);
  return found;
}

/** Build (first run, ~5 s plus the kernel download) or reuse the cached assets. */
export async function ensureLabAssets(cacheDir?: string): Promise<LabAssets> {
  const argv = ["bash", assetScriptPath()];
  if (cacheDir !== undefined) argv.push(cacheDir);
  const r = await run(argv, 300_000);
  const dir = r.stdout.trim().split("\n").pop()!;
  return {
    cacheDir: dir,
    kernel: join(dir, "kernel"),
    initrd: join(dir, "initrd.gz"),
    ipxeEfi: join(dir, "ipxe.efi"),
    undionly: join(dir, "undionly.kpxe"),
    snponly: join(dir, "snponly.efi"),
  };
}

/**
 * The iPXE script. Relative names resolve against the script's own URI, so it
 * works whichever server address handed it out, and over whichever protocol:
 * a script fetched as http://SERVER/boot.ipxe fetches http://SERVER/kernel. `initrd=` on the command line
 * is what the EFI stub needs to find the initrd under iPXE EFI; BIOS ignores it.
 */
export function ipxeScript(marker: string): string {
  if (!/^[A-Za-z0-9._-]+$/.test(marker)) throw new Error(`marker ${JSON.stringify(marker)}: use [A-Za-z0-9._-]`);
  return [
    "#!ipxe",
    `kernel ${TFTP_NAMES.kernel} initrd=${TFTP_NAMES.initrd} console=ttyS0 panic=-1 quiet lbmarker=${marker}`,
    `initrd ${TFTP_NAMES.initrd}`,
    "boot",
    "",
  ].join("\n");
}

/** Fill `dir` (created, world-readable, since servers may drop privileges) as a TFTP root. */
export function populateTftpRoot(dir: string, assets: LabAssets, marker: string): void {
  mkdirSync(dir, { recursive: true, mode: 0o755 });
  copyFileSync(assets.kernel, join(dir, TFTP_NAMES.kernel));
  copyFileSync(assets.initrd, join(dir, TFTP_NAMES.initrd));
  copyFileSync(assets.ipxeEfi, join(dir, TFTP_NAMES.uefiBootProgram));
  copyFileSync(assets.undionly, join(dir, TFTP_NAMES.biosBootProgram));
  writeFileSync(join(dir, TFTP_NAMES.ipxeScript), ipxeScript(marker));
}
