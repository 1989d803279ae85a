/**
 * The one function that writes generated files to disk.
 *
 * - Atomic per file: temporary file in the same directory, fsync, rename,
 *   fsync of the directory; a crash leaves the old or the new file, never half.
 * - Checks everything before writing anything: a refusal leaves no partial set.
 * - Owns only what it wrote: a manifest (.laggboot-manifest.json, mode 0600,
 *   in the base directory) records the hash of each file laggboot wrote; an
 *   existing file whose hash is not recorded is someone else's and is only
 *   replaced with `force`. The manifest lists the new hashes before the files
 *   change (old and new both accepted), so a crash in between leaves nothing
 *   that a rerun would mistake for a foreign file.
 * - Idempotent: unchanged files are not touched.
 */
import { createHash, randomBytes } from "node:crypto";
import { chmodSync, chownSync, closeSync, fsyncSync, lstatSync, mkdirSync, openSync, readFileSync, renameSync, unlinkSync, writeSync } from "node:fs";
import { dirname, join } from "node:path";
import { createTwoFilesPatch } from "diff";
import { LaggbootError } from "../errors.js";
import type { FileSet, GeneratedFile } from "./fileset.js";

export const MANIFEST_NAME = ".laggboot-manifest.json";

export type ChangeKind = "create" | "update" | "unchanged" | "foreign";

export interface FileChange {
  /** Absolute path on disk (target root + base dir + relative path). */
  readonly path: string;
  readonly kind: ChangeKind;
  /** Unified diff (secrets masked); empty for unchanged files. */
  readonly diff: string;
  readonly modeChanged: boolean;
}

export interface WriteOptions {
  /** Prefix for every base directory ("/" on the NFS server itself, a staging dir otherwise). */
  readonly targetRoot: string;
  readonly dryRun: boolean;
  readonly force: boolean;
  /** Set owner root:wheel (0:0). Only when running as root. */
  readonly chownRoot: boolean;
  /** Test seam: called before each file is renamed into place. */
  readonly beforeRename?: (path: string) => void;
}

interface Manifest {
  version: 1;
  files: Record<string, string[]>;
}

const sha256 = (s: string | Buffer): string => createHash("sha256").update(s).digest("hex");

function readManifest(path: string): Manifest {
  try {
    const m = JSON.parse(readFileSync(path, "utf8")) as Manifest;
    if (m && m.version === 1 && typeof m.files === "object" && m.files !== null) return m;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return { version: 1, files: {} };
  }
  throw new LaggbootError("LB_ERR_IO", `${path} is not a laggboot manifest; move it away or repair it`);
}

function readExisting(path: string): { content: Buffer; mode: number } | undefined {
  let st;
  try {
    st = lstatSync(path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw new LaggbootError("LB_ERR_IO", `cannot inspect ${path}: ${(e as Error).message}`, { cause: e });
  }
  if (!st.isFile()) throw new LaggbootError("LB_ERR_FOREIGN_FILE", `${path} exists and is not a regular file (a ${st.isSymbolicLink() ? "symbolic link" : "directory or device"}); laggboot will not replace it`);
  return { content: readFileSync(path), mode: st.mode & 0o7777 };
}

function mask(text: string, secret: RegExp | undefined): string {
  if (!secret) return text;
  return text.split("\n").map((l) => (secret.test(l) ? l.replace(/=.*/, "=<secret>") : l)).join("\n");
}

/** Write `data` to `path` atomically with the given mode. */
export function atomicWrite(path: string, data: string, mode: number, opts: { chownRoot: boolean; beforeRename?: (p: string) => void }): void {
  const dir = dirname(path);
  mkdirSync(dir, { recursive: true, mode: 0o755 });
  const tmp = join(dir, `.${randomBytes(6).toString("hex")}.laggboot-tmp`);
  let fd = -1;
  try {
    fd = openSync(tmp, "wx", mode);
    writeSync(fd, data);
    fsyncSync(fd);
    closeSync(fd);
    fd = -1;
    chmodSync(tmp, mode);
    if (opts.chownRoot) chownSync(tmp, 0, 0);
    opts.beforeRename?.(path);
    renameSync(tmp, path);
  } catch (e) {
    if (fd >= 0) closeSync(fd);
    try {
      unlinkSync(tmp);
    } catch {
      /* already gone */
    }
    if (e instanceof LaggbootError) throw e;
    throw new LaggbootError("LB_ERR_IO", `cannot write ${path}: ${(e as Error).message}`, { cause: e });
  }
  syncDir(dir);
}

function syncDir(dir: string): void {
  const fd = openSync(dir, "r");
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

function plan(base: string, f: GeneratedFile, manifest: Manifest): FileChange {
  const path = join(base, f.path);
  const old = readExisting(path);
  if (!old) return { path, kind: "create", diff: createTwoFilesPatch("/dev/null", path, "", mask(f.content, f.secret)), modeChanged: true };
  const known = manifest.files[f.path] ?? [];
  const oldHash = sha256(old.content);
  const same = oldHash === sha256(f.content);
  const modeChanged = old.mode !== f.mode;
  if (same && !modeChanged) return { path, kind: "unchanged", diff: "", modeChanged };
  const diff = same ? "" : createTwoFilesPatch(path, path, mask(old.content.toString("utf8"), f.secret), mask(f.content, f.secret));
  if (!known.includes(oldHash) && !same) return { path, kind: "foreign", diff, modeChanged };
  return { path, kind: "update", diff, modeChanged };
}

/**
 * Plans and (unless dryRun) writes the sets. Throws LB_ERR_FOREIGN_FILE before
 * writing anything when a foreign file would be replaced without `force`.
 */
export function writeFileSets(sets: readonly FileSet[], opts: WriteOptions): FileChange[] {
  const byBase = new Map<string, GeneratedFile[]>();
  for (const s of sets) {
    const list = byBase.get(s.baseDir) ?? [];
    for (const f of s.files) if (!list.some((g) => g.path === f.path)) list.push(f);
    byBase.set(s.baseDir, list);
  }
  const plans: { base: string; manifestPath: string; manifest: Manifest; items: { f: GeneratedFile; change: FileChange }[] }[] = [];
  for (const [baseDir, files] of byBase) {
    const base = join(opts.targetRoot, baseDir);
    const manifestPath = join(base, MANIFEST_NAME);
    const manifest = readManifest(manifestPath);
    plans.push({ base, manifestPath, manifest, items: files.map((f) => ({ f, change: plan(base, f, manifest) })) });
  }
  const all = plans.flatMap((p) => p.items.map((i) => i.change));
  const foreign = all.filter((c) => c.kind === "foreign");
  if (foreign.length > 0 && !opts.force) {
    throw new LaggbootError("LB_ERR_FOREIGN_FILE", `refusing to replace files laggboot did not write (or that were edited since): ${foreign.map((c) => c.path).join(", ")}; rerun with --force to take them over`);
  }
  if (opts.dryRun) return all;
  for (const p of plans) {
    const todo = p.items.filter((i) => i.change.kind !== "unchanged");
    if (todo.length === 0) continue;
    const next: Manifest = { version: 1, files: { ...p.manifest.files } };
    for (const { f } of todo) next.files[f.path] = [...new Set([...(p.manifest.files[f.path] ?? []), sha256(f.content)])];
    atomicWrite(p.manifestPath, JSON.stringify(next, null, 2) + "\n", 0o600, { chownRoot: opts.chownRoot });
    for (const { f } of todo) atomicWrite(join(p.base, f.path), f.content, f.mode, { chownRoot: opts.chownRoot, beforeRename: opts.beforeRename });
    for (const { f } of todo) next.files[f.path] = [sha256(f.content)];
    atomicWrite(p.manifestPath, JSON.stringify(next, null, 2) + "\n", 0o600, { chownRoot: opts.chownRoot });
  }
  return all;
}
