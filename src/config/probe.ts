/** The real machine behind SiteProbe and ClientFileReader: the only file access of the loader and check. */
import { closeSync, constants, existsSync, fstatSync, lstatSync, openSync, readFileSync, readlinkSync, realpathSync, statSync } from "node:fs";
import { join } from "node:path";
import type { ClientFileReader } from "./client-rc-conf.js";
import type { SiteProbe } from "./load.js";

export const fsProbe: SiteProbe = {
  readSecret(path) {
    try {
      const text = readFileSync(path, "utf8");
      const first = text.split(/\r?\n/, 1)[0] ?? "";
      return { ok: true, value: first };
    } catch (e) {
      return { ok: false, error: (e as NodeJS.ErrnoException).code ?? String(e) };
    }
  },
  kindOf(path) {
    try {
      const st = statSync(path);
      return st.isFile() ? "file" : st.isDirectory() ? "dir" : "other";
    } catch {
      return "missing";
    }
  },
};

const MAX_CLIENT_FILE_BYTES = 1 << 20;

/**
 * A regular file below a client root, read without following a symbolic
 * link anywhere below the root: the client's root user owns that tree and
 * could point a link at the server's own files. Where /proc/self/fd exists
 * the opened file's real path is checked too, which closes the race of a
 * directory swapped for a link between the walk and the open.
 */
export const readClientFile: ClientFileReader = (rootDir, rel) => {
  try {
    let path = rootDir;
    const parts = rel.split("/");
    for (const [i, part] of parts.entries()) {
      path = join(path, part);
      const st = lstatSync(path);
      if (st.isSymbolicLink() || (i === parts.length - 1 ? !st.isFile() : !st.isDirectory())) return undefined;
    }
    const fd = openSync(path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
    try {
      const st = fstatSync(fd);
      if (!st.isFile() || st.size > MAX_CLIENT_FILE_BYTES) return undefined;
      const viaProc = `/proc/self/fd/${fd}`;
      if (existsSync(viaProc) && readlinkSync(viaProc) !== join(realpathSync(rootDir), rel)) return undefined;
      return readFileSync(fd, "utf8");
    } finally {
      closeSync(fd);
    }
  } catch {
    return undefined;
  }
};

/**
 * A probe that remembers every secret it read: `laggboot reload` loads the
 * inventory as root and hands the server the text with these secrets, so a
 * server that dropped root needs to read neither (docs/serve.md, Reload).
 */
export function recordingProbe(inner: SiteProbe): { readonly probe: SiteProbe; readonly secrets: Record<string, string> } {
  const secrets: Record<string, string> = {};
  return {
    secrets,
    probe: {
      readSecret(path) {
        const r = inner.readSecret(path);
        if (r.ok) secrets[path] = r.value;
        return r;
      },
      kindOf: (path) => inner.kindOf(path),
    },
  };
}

/** Secrets from the map `laggboot reload` handed over (a file it did not read is an error); everything else from `inner`. */
export function handedProbe(secrets: Readonly<Record<string, string>>, inner: SiteProbe): SiteProbe {
  return {
    readSecret(path) {
      return Object.prototype.hasOwnProperty.call(secrets, path)
        ? { ok: true, value: secrets[path]! }
        : { ok: false, error: "not handed over by laggboot reload" };
    },
    kindOf: (path) => inner.kindOf(path),
  };
}
