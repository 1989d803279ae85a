/**
 * The pid file of `laggboot serve`. Written while the process is still root
 * (the shipped service files put it in /run and /var/run, where only root may
 * create files), and its descriptor kept open. On exit the file is removed;
 * a server that has dropped root may not unlink in /run, so it truncates the
 * file through that descriptor instead: an empty pid file names no process
 * (rc.subr's check_pidfile and `laggboot reload` read it as "not running";
 * systemd removes PIDFile= itself once the service has stopped).
 */
import { closeSync, fstatSync, ftruncateSync, lstatSync, openSync, readFileSync, unlinkSync, writeSync } from "node:fs";
import { LaggbootError } from "../errors.js";

export class PidFile {
  private fd: number | undefined;

  private constructor(readonly path: string, fd: number) {
    this.fd = fd;
  }

  /** Writes this process's pid to `path` (mode 0644); LB_ERR_IO when it cannot. */
  static write(path: string, pid = process.pid): PidFile {
    let fd: number | undefined;
    try {
      fd = openSync(path, "w", 0o644);
      writeSync(fd, `${pid}\n`);
      return new PidFile(path, fd);
    } catch (e) {
      if (fd !== undefined) closeSync(fd);
      throw new LaggbootError("LB_ERR_IO", `cannot write the pid file ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, { cause: e });
    }
  }

  /**
   * Removes the file if it is still ours (another server may have replaced
   * it), else leaves it; where unlinking is not allowed, empties it. Never
   * throws: it runs on the way out. Idempotent.
   */
  release(): void {
    const fd = this.fd;
    if (fd === undefined) return;
    this.fd = undefined;
    try {
      if (!sameFile(fd, this.path)) return;
      try {
        unlinkSync(this.path);
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        if (code === "EACCES" || code === "EPERM" || code === "EROFS") ftruncateSync(fd, 0);
      }
    } catch {
      // gone already, or the file system went away: nothing more to do
    } finally {
      closeSync(fd);
    }
  }
}

function sameFile(fd: number, path: string): boolean {
  try {
    const a = fstatSync(fd);
    const b = lstatSync(path);
    return a.ino === b.ino && a.dev === b.dev;
  } catch {
    return false;
  }
}

/** The pid a pid file names, or why it names none: missing, empty (the server stopped), or not a pid. */
export function readPidFile(path: string): { ok: true; pid: number } | { ok: false; why: string } {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    return { ok: false, why: code === "ENOENT" ? `${path} does not exist` : `cannot read ${path} (${code ?? String(e)})` };
  }
  const first = text.split(/\s/, 1)[0] ?? "";
  if (first === "") return { ok: false, why: `${path} is empty (the server has stopped)` };
  const pid = Number(first);
  return Number.isInteger(pid) && pid > 1 ? { ok: true, pid } : { ok: false, why: `${path} does not hold a process id` };
}
