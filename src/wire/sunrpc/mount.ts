/**
 * The MOUNT protocol version 3 (RFC 1813 section 5): the service FreeBSD's
 * loader and kernel ask for the root file handle of an NFSv3 export. The
 * doctor uses only MOUNTPROC3_EXPORT (section 5.2.5): the server's export
 * list, each path with the groups (hosts, networks, netgroups) allowed to
 * mount it.
 */
import { DecodeError, XdrReader, XdrWriter } from "./xdr.js";

/** RFC 1813 section 5: program 100005, version 3. */
export const MOUNT_PROGRAM = 100005;
export const MOUNT_V3 = 3;

/** RFC 1813 section 5.2: procedures of MOUNT version 3. */
export const MOUNT_PROC3 = { NULL: 0, MNT: 1, DUMP: 2, UMNT: 3, UMNTALL: 4, EXPORT: 5 } as const;

/** RFC 1813 section 5.1.1: `MNTPATHLEN` and `MNTNAMLEN`. */
export const MNTPATHLEN = 1024;
export const MNTNAMLEN = 255;

export interface ExportEntry {
  /** `ex_dir`: the exported path as the server names it. */
  readonly dir: string;
  /**
   * `ex_groups`: names as the server reports them (host names, addresses,
   * networks, netgroups, wildcards). Empty means everyone may mount it.
   */
  readonly groups: readonly string[];
}

/**
 * Decode `exports` (RFC 1813 section 5.2.5): an XDR optional-data list, each
 * node `bool follows; dirpath ex_dir; groups ex_groups; exports ex_next`,
 * where groups is itself such a list of names. Bounded by `maxEntries` in
 * total so a hostile reply cannot make us loop or allocate without end.
 */
export function decodeExports(buf: Uint8Array, maxEntries = 100_000): ExportEntry[] {
  const r = new XdrReader(buf);
  const out: ExportEntry[] = [];
  let budget = maxEntries;
  const spend = (field: string): void => {
    if (--budget < 0) throw new DecodeError(field, r.offset, `more than ${maxEntries} entries`);
  };
  while (r.bool("exports.follows")) {
    spend("exports");
    const dir = r.string("ex_dir", MNTPATHLEN);
    const groups: string[] = [];
    while (r.bool("ex_groups.follows")) {
      spend("ex_groups");
      groups.push(r.string("gr_name", MNTNAMLEN));
    }
    out.push({ dir, groups });
  }
  return out;
}

export function encodeExports(entries: readonly ExportEntry[]): Uint8Array {
  const w = new XdrWriter();
  for (const e of entries) {
    w.bool(true).string(e.dir, MNTPATHLEN);
    for (const g of e.groups) w.bool(true).string(g, MNTNAMLEN);
    w.bool(false);
  }
  return w.bool(false).bytes();
}
