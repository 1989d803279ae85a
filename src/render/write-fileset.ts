/**
 * The one function that writes generated files into client roots.
 *
 * - Never outside a root: every path below the target root is walked without
 *   following symbolic links (client-tree.ts); a client root is its client's
 *   to change, so any link on the way refuses that root.
 * - Atomic per file: temporary file in the same directory, fsync, rename,
 *   fsync of the directory; a crash leaves the old or the new file, never half.
 *   Temporary files a killed run left behind are removed by the next run.
 * - One root at a time, checked before it is written: a refused root gets no
 *   file at all; the other roots are written.
 * - Owns only what it wrote: a manifest (.laggboot-manifest.json, mode 0600,
 *   in the base directory) records the hash of each file laggboot wrote; an
 *   existing file whose hash is not recorded is someone else's and is only
 *   replaced with `force`. The manifest lists the new hashes before the files
 *   change (old and new both accepted), so a crash in between leaves nothing
 *   that a rerun would mistake for a foreign file.
 * - Idempotent: unchanged files are not touched.
 */
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, realpathSync } from "node:fs";
import { basename, dirname, join, posix } from "node:path";
import { createTwoFilesPatch } from "diff";
import { LaggbootError, type ErrorCode } from "../errors.js";
import { inDirectory, readHere, staleTempFilesHere, writeHere } from "./client-tree.js";
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

/** A root laggboot left alone, and why. */
export interface RootRefusal {
  /** The root on disk (target root + base dir). */
  readonly root: string;
  readonly code: ErrorCode;
  readonly message: string;
  /** Some files of the root were already written when the problem appeared (a client racing apply). */
  readonly partly: boolean;
}

export interface WriteResult {
  /** Every file of the roots that were written (or, in a dry run, would be). */
  readonly changes: readonly FileChange[];
  /** Roots not written at all: a symbolic link on the way, a foreign file without `force`, a broken manifest. */
  readonly refused: readonly RootRefusal[];
  /** Temporary files an interrupted run left behind: removed (dry run: would be removed). */
  readonly staleTemp: readonly string[];
}

export interface WriteOptions {
  /** Trusted prefix for every base directory ("/" on the NFS server itself, a staging dir otherwise). */
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

function parseManifest(path: string, raw: Buffer | undefined): Manifest {
  if (raw === undefined) return { version: 1, files: {} };
  try {
    const m = JSON.parse(raw.toString("utf8")) as Manifest;
    if (m && m.version === 1 && typeof m.files === "object" && m.files !== null) return m;
  } catch {
    /* reported below */
  }
  throw new LaggbootError("LB_ERR_IO", `${path} is not a laggboot manifest; move it away or repair it`);
}

function mask(text: string, secret: RegExp | undefined): string {
  if (!secret) return text;
  return text.split("\n").map((l) => (secret.test(l) ? l.replace(/=.*/, "=<secret>") : l)).join("\n");
}

/**
 * Write `data` to `path` atomically with the given mode: for files outside
 * client roots (the inventory `laggboot init` writes).
 */
export function atomicWrite(path: string, data: string, mode: number): void {
  try {
    mkdirSync(dirname(path), { recursive: true, mode: 0o755 });
    writeHere(basename(path), data, mode, { chownRoot: false, dir: dirname(path) });
  } catch (e) {
    throw new LaggbootError("LB_ERR_IO", `cannot write ${path}: ${(e as Error).message}`, { cause: e });
  }
}

/** One directory of a root: the path components below the target root, its files, the stale temporary files in it. */
interface DirPlan {
  readonly parts: readonly string[];
  readonly items: { readonly f: GeneratedFile; readonly name: string; change: FileChange }[];
  stale: readonly string[];
}

interface RootPlan {
  readonly root: string;
  readonly manifest: Manifest;
  /** The root's own directory first (it holds the manifest), then the others. */
  readonly dirs: readonly DirPlan[];
  readonly staleTemp: readonly string[];
}

const components = (p: string): string[] => p.split("/").filter((c) => c !== "" && c !== ".");

function planFile(shownPath: string, f: GeneratedFile, old: { content: Buffer; mode: number } | undefined, manifest: Manifest): FileChange {
  const path = shownPath;
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
 * Reads one root without following any symbolic link (client-tree.ts), one
 * walk per directory: the manifest, every existing file, the temporary files
 * a killed run left. Throws LB_ERR_UNSAFE_PATH for a link or non-directory on
 * the way.
 */
function planRoot(top: string | undefined, shownTop: string, baseDir: string, files: readonly GeneratedFile[]): RootPlan {
  const baseParts = components(baseDir);
  const root = join(shownTop, baseDir);
  const byDir = new Map<string, DirPlan>([["", { parts: baseParts, items: [], stale: [] }]]);
  for (const f of files) {
    const rel = posix.dirname(f.path);
    const key = rel === "." ? "" : rel;
    let d = byDir.get(key);
    if (!d) byDir.set(key, (d = { parts: [...baseParts, ...components(rel)], items: [], stale: [] }));
    d.items.push({ f, name: posix.basename(f.path), change: { path: join(root, f.path), kind: "create", diff: "", modeChanged: true } });
  }
  const manifestShown = join(root, MANIFEST_NAME);
  let manifestRaw: Buffer | undefined;
  const olds = new Map<DirPlan, ({ content: Buffer; mode: number } | undefined)[]>();
  for (const [key, d] of byDir) {
    if (top === undefined) continue;
    inDirectory(top, d.parts, false, () => {
      if (key === "") manifestRaw = readHere(MANIFEST_NAME, manifestShown)?.content;
      d.stale = staleTempFilesHere(true);
      olds.set(d, d.items.map((i) => readHere(i.name, join(root, key, i.name))));
    }, shownTop);
  }
  const manifest = parseManifest(manifestShown, manifestRaw);
  for (const d of byDir.values()) d.items.forEach((i, n) => { i.change = planFile(i.change.path, i.f, olds.get(d)?.[n], manifest); });
  const staleTemp = [...byDir].flatMap(([key, d]) => d.stale.map((t) => join(root, key, t)));
  return { root, manifest, dirs: [...byDir.values()], staleTemp };
}

/**
 * Writes a planned root, entering only the directories with something to
 * do: stale temporary files removed, the manifest extended with the new
 * hashes first (in the root's own directory, entered first), then each
 * changed file, then the manifest again.
 */
function writeRoot(top: string, p: RootPlan, opts: WriteOptions): void {
  const todo = p.dirs.flatMap((d) => d.items.filter((i) => i.change.kind !== "unchanged"));
  const next: Manifest = { version: 1, files: { ...p.manifest.files } };
  for (const { f } of todo) next.files[f.path] = [...new Set([...(p.manifest.files[f.path] ?? []), sha256(f.content)])];
  const manifestText = (): string => JSON.stringify(next, null, 2) + "\n";
  p.dirs.forEach((d, n) => {
    const changed = d.items.filter((i) => i.change.kind !== "unchanged");
    const manifestHere = n === 0 && todo.length > 0;
    if (changed.length === 0 && d.stale.length === 0 && !manifestHere) return;
    inDirectory(top, d.parts, changed.length > 0 || manifestHere, () => {
      staleTempFilesHere(false);
      if (manifestHere) writeHere(MANIFEST_NAME, manifestText(), 0o600, { chownRoot: opts.chownRoot });
      for (const { f, name, change } of changed) {
        try {
          writeHere(name, f.content, f.mode, { chownRoot: opts.chownRoot, beforeRename: () => opts.beforeRename?.(change.path) });
        } catch (e) {
          if (e instanceof LaggbootError) throw e;
          throw new LaggbootError("LB_ERR_IO", `cannot write ${change.path}: ${(e as Error).message}`, { cause: e });
        }
      }
    }, opts.targetRoot);
  });
  if (todo.length === 0) return;
  for (const { f } of todo) next.files[f.path] = [sha256(f.content)];
  inDirectory(top, p.dirs[0]!.parts, true, () => writeHere(MANIFEST_NAME, manifestText(), 0o600, { chownRoot: opts.chownRoot }), opts.targetRoot);
}

/** The target root as a real absolute path (created unless dry run); undefined when a dry run finds none. */
function resolveTop(targetRoot: string, dryRun: boolean): string | undefined {
  if (!existsSync(targetRoot)) {
    if (dryRun) return undefined;
    mkdirSync(targetRoot, { recursive: true, mode: 0o755 });
  }
  return realpathSync(targetRoot);
}

/**
 * Plans and (unless dryRun) writes the sets, one root (base directory) at a
 * time. A root with a problem gets nothing written and is listed in
 * `refused`: a symbolic link or non-directory on the way to any of its files
 * (LB_ERR_UNSAFE_PATH), a file laggboot did not write without `force`
 * (LB_ERR_FOREIGN_FILE), a manifest that is not one (LB_ERR_IO). The other
 * roots are written.
 */
export function writeFileSets(sets: readonly FileSet[], opts: WriteOptions): WriteResult {
  const byBase = new Map<string, GeneratedFile[]>();
  for (const s of sets) {
    const list = byBase.get(s.baseDir) ?? [];
    for (const f of s.files) if (!list.some((g) => g.path === f.path)) list.push(f);
    byBase.set(s.baseDir, list);
  }
  const top = resolveTop(opts.targetRoot, opts.dryRun);
  const changes: FileChange[] = [];
  const refused: RootRefusal[] = [];
  const staleTemp: string[] = [];
  for (const [baseDir, files] of byBase) {
    const root = join(opts.targetRoot, baseDir);
    let p: RootPlan;
    try {
      p = planRoot(top, opts.targetRoot, baseDir, files);
    } catch (e) {
      if (!(e instanceof LaggbootError) || (e.code !== "LB_ERR_UNSAFE_PATH" && e.code !== "LB_ERR_IO")) throw e;
      refused.push({ root, code: e.code, message: e.message, partly: false });
      continue;
    }
    const all = p.dirs.flatMap((d) => d.items.map((i) => i.change));
    const foreign = all.filter((c) => c.kind === "foreign");
    if (foreign.length > 0 && !opts.force) {
      refused.push({ root, code: "LB_ERR_FOREIGN_FILE", message: `refusing to replace files laggboot did not write (or that were edited since): ${foreign.map((c) => c.path).join(", ")}; rerun with --force to take them over`, partly: false });
      continue;
    }
    if (!opts.dryRun && top !== undefined) {
      try {
        writeRoot(top, p, opts);
      } catch (e) {
        // A link swapped in while writing: the files already renamed stay (each is whole).
        if (!(e instanceof LaggbootError) || e.code !== "LB_ERR_UNSAFE_PATH") throw e;
        refused.push({ root, code: e.code, message: e.message, partly: true });
        continue;
      }
    }
    changes.push(...all);
    staleTemp.push(...p.staleTemp);
  }
  return { changes, refused, staleTemp };
}
