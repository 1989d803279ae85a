/** The real machine behind SiteProbe: the only file access of the loader. */
import { readFileSync, statSync } from "node:fs";
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
