/**
 * File access inside client roots, which their clients own: a client's root
 * user can plant a symbolic link anywhere in its read-write root (`etc ->
 * /etc`) and swap directories while laggboot works. So nothing here follows a
 * symbolic link below the trusted top directory (`apply --root DIR`):
 *
 * - `inDirectory` enters the target directory one component at a time: lstat
 *   the name (a symbolic link or a non-directory is refused), chdir into it,
 *   then check that the directory entered is the one lstat saw (device and
 *   inode). A link swapped in between is caught by that check; once inside,
 *   the working directory holds the directory itself, so a later swap of a
 *   name above it changes nothing. Node has no openat(2); the working
 *   directory is the portable way to pin a directory (Linux and FreeBSD).
 * - Inside, every operation names one component: open with O_NOFOLLOW (and
 *   O_EXCL to create), fchmod/fchown on the descriptor, rename, unlink. None
 *   of them follows a link in its last component.
 *
 * Everything here is synchronous: no other code runs while the working
 * directory is moved, and it is always restored.
 */
import { randomBytes } from "node:crypto";
import { closeSync, constants, fchmodSync, fchownSync, fstatSync, fsyncSync, lstatSync, mkdirSync, openSync, readFileSync, readdirSync, readlinkSync, renameSync, statSync, unlinkSync, writeSync, type Stats } from "node:fs";
import { join } from "node:path";
import { LaggbootError } from "../errors.js";

/** A symbolic link or a non-directory on the way, or a regular file that is not one. */
export function unsafePath(path: string, why: string): LaggbootError {
  return new LaggbootError("LB_ERR_UNSAFE_PATH", `${path} ${why}`);
}

function lstatOrUndefined(name: string): Stats | undefined {
  try {
    return lstatSync(name);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw e;
  }
}

function describeLink(name: string): string {
  try {
    return `is a symbolic link (to ${readlinkSync(name)})`;
  } catch {
    return "is a symbolic link";
  }
}

/**
 * Runs `fn` with the working directory pinned to top/parts, entered without
 * following any symbolic link below `top`. A missing component is created
 * (mode 0755) when `create`, else `fn` is not run and undefined is returned.
 * `top` must be an absolute, trusted directory; messages name paths below
 * `shownTop` (the target root as the user wrote it).
 */
export function inDirectory<T>(top: string, parts: readonly string[], create: boolean, fn: () => T, shownTop = top): T | undefined {
  const saved = workingDirectory();
  try {
    if (!enter(top, shownTop, parts, create)) return undefined;
    return fn();
  } finally {
    process.chdir(saved);
  }
}

/** The working directory to return to; "/" when it has been removed under us. */
function workingDirectory(): string {
  try {
    return process.cwd();
  } catch {
    return "/";
  }
}

/** chdir to top/parts as inDirectory describes; false when a part is missing and not created. */
function enter(top: string, shownTop: string, parts: readonly string[], create: boolean): boolean {
  let shown = shownTop;
  try {
    process.chdir(top);
    for (const name of parts) {
      shown = join(shown, name);
      let st = lstatOrUndefined(name);
      if (!st) {
        if (!create) return false;
        try {
          mkdirSync(name, 0o755);
        } catch (e) {
          if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
        }
        st = lstatSync(name);
      }
      if (st.isSymbolicLink()) throw unsafePath(shown, describeLink(name));
      if (!st.isDirectory()) throw unsafePath(shown, "is not a directory");
      process.chdir(name);
      const here = statSync(".");
      if (here.dev !== st.dev || here.ino !== st.ino) throw unsafePath(shown, "was replaced while laggboot entered it");
    }
    return true;
  } catch (e) {
    if (e instanceof LaggbootError) throw e;
    throw new LaggbootError("LB_ERR_IO", `cannot enter ${shown}: ${(e as Error).message}`, { cause: e });
  }
}

/**
 * An existing file in the current directory: its content and mode, or
 * undefined when there is none. Only a regular file is read (never a link,
 * FIFO or device: opening one could block or have side effects).
 */
export function readHere(name: string, shown: string): { content: Buffer; mode: number } | undefined {
  const st = lstatOrUndefined(name);
  if (!st) return undefined;
  if (st.isSymbolicLink()) throw unsafePath(shown, `${describeLink(name)}; laggboot will not replace it`);
  if (!st.isFile()) throw unsafePath(shown, "exists and is not a regular file (a directory or device); laggboot will not replace it");
  const fd = openSync(name, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  try {
    const fst = fstatSync(fd);
    if (!fst.isFile() || fst.ino !== st.ino) throw unsafePath(shown, "was replaced while laggboot read it");
    return { content: readFileSync(fd), mode: fst.mode & 0o7777 };
  } finally {
    closeSync(fd);
  }
}

/** Temporary files are `.<pid>-<12 hex>.laggboot-tmp`; older laggboot wrote `.<12 hex>.laggboot-tmp`. */
const TEMP_NAME = /^\.(?:(\d{1,10})-)?[0-9a-f]{12}\.laggboot-tmp$/;

function tempName(): string {
  return `.${process.pid}-${randomBytes(6).toString("hex")}.laggboot-tmp`;
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
}

/**
 * Temporary files a killed laggboot left in the current directory: names in
 * laggboot's own pattern, regular files or links (never directories), whose
 * writer is not running. Removed unless `dryRun`; returns their names.
 */
export function staleTempFilesHere(dryRun: boolean): string[] {
  const out: string[] = [];
  for (const name of readdirSync(".")) {
    const m = TEMP_NAME.exec(name);
    if (!m) continue;
    if (m[1] !== undefined && Number(m[1]) !== process.pid && processAlive(Number(m[1]))) continue;
    const st = lstatOrUndefined(name);
    if (!st || !(st.isFile() || st.isSymbolicLink())) continue;
    if (!dryRun) unlinkSync(name);
    out.push(name);
  }
  return out;
}

/**
 * Writes `name` in `dir` (default: the current directory) atomically: a new
 * temporary file (O_EXCL, O_NOFOLLOW), mode and owner set on the descriptor,
 * fsync, rename over the old name (rename replaces a link, never writes
 * through it), fsync of the directory.
 */
export function writeHere(name: string, data: string, mode: number, opts: { chownRoot: boolean; beforeRename?: () => void; dir?: string }): void {
  const dir = opts.dir ?? ".";
  const tmp = join(dir, tempName());
  let fd = openSync(tmp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, mode);
  try {
    writeSync(fd, data);
    fchmodSync(fd, mode);
    if (opts.chownRoot) fchownSync(fd, 0, 0);
    fsyncSync(fd);
    closeSync(fd);
    fd = -1;
    opts.beforeRename?.();
    renameSync(tmp, join(dir, name));
  } catch (e) {
    if (fd >= 0) closeSync(fd);
    try {
      unlinkSync(tmp);
    } catch {
      /* already gone */
    }
    throw e;
  }
  syncDir(dir);
}

/** fsync of a directory, so a rename in it survives a crash. */
export function syncDir(dir: string): void {
  const fd = openSync(dir, constants.O_RDONLY);
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}
