/**
 * What a checked path names in the boot tree: a per-client virtual file, a
 * regular file opened through the TFTP jail (realpath inside the root,
 * O_NOFOLLOW, regular files only, the opened descriptor re-checked), or a
 * directory inside the root (listed without following any entry out of it).
 */
import { promises as fsp, type Stats } from "node:fs";
import { sep } from "node:path";
import type { ListingEntry } from "../../protocol/http-boot/index.js";
import { insideRoot, openInJail } from "../tftp/jail.js";
import type { ClientRef, VirtualFileProvider } from "./types.js";

export type Resolved =
  | { readonly kind: "virtual"; readonly content: Buffer }
  | { readonly kind: "file"; readonly file: fsp.FileHandle; readonly stat: Stats }
  | { readonly kind: "directory"; readonly realPath: string }
  | { readonly kind: "missing"; readonly reason: string }
  | { readonly kind: "forbidden"; readonly reason: string }
  | { readonly kind: "error"; readonly reason: string };

/** More entries than this in one directory are not listed (the page would be megabytes). */
const MAX_LISTED = 10_000;

const within = (realRoot: string, p: string): boolean => p === realRoot || insideRoot(realRoot, p);

export async function resolvePath(realRoot: string, path: string, client: ClientRef, virtualFiles: VirtualFileProvider | undefined): Promise<Resolved> {
  if (virtualFiles && path !== "") {
    try {
      const v = await virtualFiles(client, path);
      if (v !== undefined) return { kind: "virtual", content: typeof v === "string" ? Buffer.from(v, "utf8") : v };
    } catch (e) {
      return { kind: "error", reason: `virtual file: ${String(e)}` };
    }
  }
  let real: string;
  try {
    real = await fsp.realpath(path === "" ? realRoot : realRoot + sep + path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    return code === "ENOENT" || code === "ENOTDIR" ? { kind: "missing", reason: `realpath: ${code}` } : { kind: "forbidden", reason: `realpath: ${code ?? "error"}` };
  }
  if (!within(realRoot, real)) return { kind: "forbidden", reason: "resolves outside the root" };
  const st = await fsp.stat(real).catch(() => undefined);
  if (st?.isDirectory()) return { kind: "directory", realPath: real };
  const opened = await openInJail(realRoot, path);
  if (!opened.ok) return opened.notFound ? { kind: "missing", reason: opened.reason } : { kind: "forbidden", reason: opened.reason };
  try {
    return { kind: "file", file: opened.file, stat: await opened.file.stat() };
  } catch (e) {
    await opened.file.close().catch(() => undefined);
    return { kind: "error", reason: `fstat: ${(e as NodeJS.ErrnoException).code ?? "error"}` };
  }
}

/**
 * Entries of a directory already known to lie inside the root: regular files
 * and directories, and symlinks only when they resolve inside the root to one
 * of those. Names starting with "." are left out.
 */
export async function listDirectory(realRoot: string, realDir: string): Promise<ListingEntry[]> {
  const out: ListingEntry[] = [];
  const dir = await fsp.opendir(realDir);
  try {
    for await (const d of dir) {
      if (out.length >= MAX_LISTED) break;
      if (d.name.startsWith(".")) continue;
      if (d.isFile()) out.push({ name: d.name, directory: false });
      else if (d.isDirectory()) out.push({ name: d.name, directory: true });
      else if (d.isSymbolicLink()) {
        const target = await fsp.realpath(realDir + sep + d.name).catch(() => undefined);
        if (target === undefined || !within(realRoot, target)) continue;
        const st = await fsp.stat(target).catch(() => undefined);
        if (st?.isFile()) out.push({ name: d.name, directory: false });
        else if (st?.isDirectory()) out.push({ name: d.name, directory: true });
      }
    }
  } finally {
    await dir.close().catch(() => undefined);
  }
  return out;
}
