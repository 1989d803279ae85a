/**
 * Boot assets of the lab's diskless Linux client, built by
 * scripts/linux-client-assets.sh into their own cache
 * ($LAGGBOOT_LINUX_CLIENT_CACHE, default /var/cache/laggboot-linux-client),
 * and the per-run pieces made from them: the client's NFS root, and the
 * initrd, which is Debian's initramfs-tools layout plus, as a second cpio
 * archive, the initramfs-tools scripts `laggboot apply` wrote into that root
 * (what mkinitramfs would copy from the root's /etc/initramfs-tools).
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { run } from "./proc.js";

export interface LinuxClientAssets {
  readonly cacheDir: string;
  readonly vmlinuz: string;
  /** Debian's init and scripts, klibc, busybox, modules; no laggboot file. */
  readonly initrdBase: string;
  /** The client root: busybox, modules, the lab's /sbin/init and heartbeat. */
  readonly rootTar: string;
  readonly kernelVersion: string;
}

const here = dirname(fileURLToPath(import.meta.url));

function scriptPath(): string {
  const candidates = [resolve(here, "../../../scripts/linux-client-assets.sh"), resolve(here, "../../scripts/linux-client-assets.sh")];
  const found = candidates.find((p) => existsSync(p));
  if (found === undefined) throw new Error(`scripts/linux-client-assets.sh not found from ${here}`);
  return found;
}

/** Build (first run: a 27 MB download and ~10 s) or reuse the cache. */
export async function ensureLinuxClientAssets(cacheDir?: string): Promise<LinuxClientAssets> {
  const argv = ["bash", scriptPath()];
  if (cacheDir !== undefined) argv.push(cacheDir);
  const r = await run(argv, 300_000);
  const dir = r.stdout.trim().split("\n").pop()!;
  return {
    cacheDir: dir,
    vmlinuz: join(dir, "vmlinuz"),
    initrdBase: join(dir, "initrd-base.img"),
    rootTar: join(dir, "root.tar"),
    kernelVersion: readFileSync(join(dir, "kernel.version"), "utf8").trim(),
  };
}

/** Unpack a fresh client root into `dir`. */
export async function unpackRoot(assets: LinuxClientAssets, dir: string): Promise<void> {
  mkdirSync(dir, { recursive: true, mode: 0o755 });
  await run(["tar", "-C", dir, "--numeric-owner", "-xf", assets.rootTar]);
}

/**
 * The client's initrd: the cached base, then a cpio archive of every script
 * under ROOT/etc/initramfs-tools/scripts/<stage>/ (as /scripts/<stage>/) with
 * the ORDER file initramfs-tools runs them from, in name order, and every
 * boot script ROOT/etc/initramfs-tools/scripts/NAME (as /scripts/NAME).
 */
export async function buildInitrd(assets: LinuxClientAssets, rootDir: string, out: string, workDir: string): Promise<string[]> {
  const overlay = join(workDir, "initrd-overlay");
  await run(["rm", "-rf", overlay]);
  mkdirSync(overlay, { recursive: true });
  const src = join(rootDir, "etc/initramfs-tools/scripts");
  const added: string[] = [];
  if (existsSync(src)) {
    for (const stage of readdirSync(src).sort()) {
      if (statSync(join(src, stage)).isFile()) {
        // A boot script (/scripts/NAME, chosen by boot=NAME), as mkinitramfs copies it.
        mkdirSync(join(overlay, "scripts"), { recursive: true });
        writeFileSync(join(overlay, "scripts", stage), readFileSync(join(src, stage)), { mode: 0o755 });
        added.push(`/scripts/${stage}`);
        continue;
      }
      if (!statSync(join(src, stage)).isDirectory()) continue;
      const files = readdirSync(join(src, stage)).sort().filter((f) => statSync(join(src, stage, f)).isFile());
      if (files.length === 0) continue;
      mkdirSync(join(overlay, "scripts", stage), { recursive: true });
      const order: string[] = [];
      for (const f of files) {
        writeFileSync(join(overlay, "scripts", stage, f), readFileSync(join(src, stage, f)), { mode: 0o755 });
        order.push(`/scripts/${stage}/${f} "$@"`, "[ -e /conf/param.conf ] && . /conf/param.conf");
        added.push(`/scripts/${stage}/${f}`);
      }
      writeFileSync(join(overlay, "scripts", stage, "ORDER"), `${order.join("\n")}\n`);
    }
  }
  const cpio = `cd '${overlay}' && find . | LC_ALL=C sort | busybox cpio -o -H newc 2>/dev/null | gzip -6`;
  await run(["sh", "-c", `cat '${assets.initrdBase}' > '${out}.tmp' && (${cpio}) >> '${out}.tmp' && mv '${out}.tmp' '${out}'`]);
  return added;
}
