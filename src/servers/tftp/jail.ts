/**
 * The file-system half of the TFTP path jail. The name has already passed
 * checkPath (no `..`, no control characters). Here we resolve symlinks with
 * realpath, re-check that the result lies inside the real root, open it with
 * O_NOFOLLOW (a symlink swapped in after the check makes open fail), and check
 * the opened descriptor: a regular file, and (on Linux, through /proc) still
 * inside the root. O_NONBLOCK keeps a FIFO from blocking the open.
 */
import { constants as C, promises as fsp, fstatSync, readlinkSync } from "node:fs";
import { sep } from "node:path";

export type JailResult =
  | { readonly ok: true; readonly file: fsp.FileHandle; readonly sizeBytes: number; readonly realPath: string }
  | { readonly ok: false; readonly notFound: boolean; readonly reason: string };

export function insideRoot(realRoot: string, candidate: string): boolean {
  return candidate.startsWith(realRoot.endsWith(sep) ? realRoot : realRoot + sep);
}

/** Opens `<realRoot>/<relPath>` for reading, or says why not. `realRoot` must already be a realpath. */
export async function openInJail(realRoot: string, relPath: string): Promise<JailResult> {
  let real: string;
  try {
    real = await fsp.realpath(realRoot + sep + relPath);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    return { ok: false, notFound: code === "ENOENT" || code === "ENOTDIR", reason: `realpath: ${code ?? "error"}` };
  }
  if (!insideRoot(realRoot, real)) return { ok: false, notFound: false, reason: "resolves outside the root" };
  let fh: fsp.FileHandle;
  try {
    fh = await fsp.open(real, C.O_RDONLY | C.O_NOFOLLOW | C.O_NONBLOCK | C.O_NOCTTY);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    return { ok: false, notFound: code === "ENOENT", reason: `open: ${code ?? "error"}` };
  }
  const fd = fh.fd;
  const close = (): void => {
    void fh.close().catch(() => undefined);
  };
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) {
      close();
      return { ok: false, notFound: false, reason: "not a regular file" };
    }
    const opened = openedPath(fd);
    if (opened !== undefined && !insideRoot(realRoot, opened)) {
      close();
      return { ok: false, notFound: false, reason: "opened file lies outside the root" };
    }
    return { ok: true, file: fh, sizeBytes: st.size, realPath: real };
  } catch (e) {
    close();
    return { ok: false, notFound: false, reason: `fstat: ${(e as NodeJS.ErrnoException).code ?? "error"}` };
  }
}

/** The path the kernel says the descriptor refers to (Linux), or undefined elsewhere. */
function openedPath(fd: number): string | undefined {
  try {
    return readlinkSync(`/proc/self/fd/${fd}`);
  } catch {
    return undefined;
  }
}
