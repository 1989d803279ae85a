/**
 * Where a WRQ may write: only inside the configured writable directory, into
 * an existing sub-directory (none is created), never over an existing file.
 */
import { constants as C, promises as fsp } from "node:fs";
import { dirname, sep } from "node:path";
import { randomBytes } from "node:crypto";
import { ERROR_CODE } from "../../wire/tftp/index.js";
import { insideRoot } from "./jail.js";

export type WriteTargetResult =
  | { readonly ok: true; readonly file: fsp.FileHandle; readonly tmpPath: string; readonly finalPath: string }
  | { readonly ok: false; readonly code: number; readonly message: string; readonly reason: string };

export async function openWriteTarget(realWritable: string, path: string): Promise<WriteTargetResult> {
  const wanted = realWritable + sep + path;
  let parent: string;
  try {
    parent = await fsp.realpath(dirname(wanted));
  } catch {
    return { ok: false, code: ERROR_CODE.ACCESS_VIOLATION, message: "access violation", reason: "no such directory" };
  }
  if (parent !== realWritable && !insideRoot(realWritable, parent)) {
    return { ok: false, code: ERROR_CODE.ACCESS_VIOLATION, message: "access violation", reason: "outside the writable directory" };
  }
  const finalPath = parent + sep + wanted.slice(wanted.lastIndexOf(sep) + 1);
  try {
    await fsp.lstat(finalPath);
    return { ok: false, code: ERROR_CODE.FILE_EXISTS, message: "file already exists", reason: "exists" };
  } catch {
    // Does not exist: good.
  }
  const tmpPath = `${parent}${sep}.lbtftp-${randomBytes(6).toString("hex")}.part`;
  try {
    const file = await fsp.open(tmpPath, C.O_WRONLY | C.O_CREAT | C.O_EXCL | C.O_NOFOLLOW, 0o644);
    return { ok: true, file, tmpPath, finalPath };
  } catch (e) {
    return {
      ok: false,
      code: ERROR_CODE.ACCESS_VIOLATION,
      message: "cannot create file",
      reason: `open: ${(e as NodeJS.ErrnoException).code ?? "error"}`,
    };
  }
}
