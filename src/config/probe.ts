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
