/**
 * Client roots as directories on the NFS server. One directory has one
 * spelling (`/srv/x`, `/srv/x/` and `//srv//x` are the same root, so two
 * clients cannot share it unnoticed, nor exports list it twice); `/` is never
 * a root (exported read-write with -maproot=root it would hand the whole
 * server to a client, and `apply --root /` would write the server's own /etc
 * and /boot); and no root lies inside another client's root, whose root user
 * could then read the inner client's Wi-Fi key and, read-write, change its
 * files.
 */
import { posix } from "node:path";
import type { KeyPath } from "./findings.js";
import type { Reporter } from "./load.js";
import type { Client } from "./types.js";

/** The one spelling of a directory: normalised, no trailing slash (except `/` itself). */
export function normalizeDir(p: string): string {
  const n = posix.normalize(p);
  return n.length > 1 && n.endsWith("/") ? n.slice(0, -1) : n;
}

export const isFilesystemRoot = (dir: string): boolean => normalizeDir(dir) === "/";

/** Every root that lies inside another client's root: an error at the inner client's root.path. */
export function checkNestedRoots(clients: readonly { c: Client; index: number }[], rep: Reporter): void {
  const owners = new Map<string, { index: number; names: string[] }>();
  for (const { c, index } of clients) {
    if (c.kind !== "freebsd-lagg" && c.kind !== "linux-lagg") continue;
    const o = owners.get(c.root.path);
    if (o) o.names.push(c.name);
    else owners.set(c.root.path, { index, names: [c.name] });
  }
  for (const [dir, inner] of owners) {
    const parts = dir.split("/").filter((p) => p !== "");
    for (let n = parts.length - 1; n >= 1; n--) {
      const outerDir = `/${parts.slice(0, n).join("/")}`;
      const outer = owners.get(outerDir);
      if (!outer) continue;
      const path: KeyPath = ["clients", inner.index, "root", "path"];
      rep.add("LB_ERR_ROOT_PATH", path, `root ${dir} (${inner.names.join(", ")}) lies inside the root ${outerDir} of ${outer.names.join(", ")}, whose root user can read this root's files (the Wi-Fi key too) and, exported read-write, change them; move it out`);
      break;
    }
  }
}
