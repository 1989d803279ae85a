/**
 * NFS exports for the clients' roots: FreeBSD exports(5) (`laggboot render
 * exports`) and Linux exports(5) (`laggboot render exports-linux`).
 *
 * Each root goes only to the clients that boot from it, by address, with root
 * mapped to root (diskless(8): the client's root user must own its files).
 * A shared root is exported together with its `etc`: the root's
 * conf/base/etc/diskless_remount names /etc, so rc.initdiskless mounts
 * SERVER:ROOT/etc to seed the RAM /etc (design notes, section 1 item 7).
 * Long host lists are wrapped with a trailing backslash, which both mountd(8)
 * and exportfs(8) read as a continued line.
 *
 * NFSv4 roots (Linux clients with root.nfsVersion 4) mount the same server
 * path as NFSv3 ones: FreeBSD gets one `V4: /` line (the root of its NFSv4
 * tree; mountd reads one V4: line only), Linux needs nothing (rpc.mountd
 * builds the NFSv4 pseudo-root from the exports when none is marked fsid=0).
 */
import type { Inventory, LinuxLaggClient } from "../config/types.js";
import { generatedHeader } from "./header.js";
import { exportsPath } from "./quote-exports.js";
import { rootExports, SHARED_ROOT_REMOUNTED, sortByIp, type RootExport } from "./site-common.js";

/** Clients that mount their root over NFSv4, in address order. */
function nfs4Clients(inv: Inventory): readonly LinuxLaggClient[] {
  return sortByIp(inv.clients.filter((c): c is LinuxLaggClient => c.kind === "linux-lagg" && c.root.nfsVersion === 4));
}

/** Physical line width before host lists wrap. */
const WRAP_COLUMNS = 100;

function dirsOf(format: "exports" | "exports-linux", e: RootExport): string[] {
  const root = exportsPath(format, `root path of ${e.clients.map((c) => c.name).join(", ")}`, e.path);
  const base = root === "/" ? "" : root;
  return e.layout === "shared" ? [root, ...SHARED_ROOT_REMOUNTED.map((d) => `${base}/${d}`)] : [root];
}

/** head and items on one line or, when longer than WRAP_COLUMNS, continued lines (leading blanks keep the fields apart). */
function wrap(head: string, items: readonly string[]): string {
  const single = [head, ...items].join(" ");
  if (single.length <= WRAP_COLUMNS) return single;
  const lines: string[] = [head];
  let cur = "";
  for (const item of items) {
    if (cur !== "" && cur.length + 1 + item.length > WRAP_COLUMNS - 4) {
      lines.push(cur);
      cur = item;
    } else {
      cur = cur === "" ? item : `${cur} ${item}`;
    }
  }
  if (cur !== "") lines.push(cur);
  return lines.join(" \\\n    ");
}

function comment(e: RootExport): string {
  const who = e.clients.length === 1 ? `client ${e.clients[0]!.name}` : `${e.clients.length} clients`;
  return `# ${e.layout === "shared" ? "Shared" : "Own"} root of ${who}${e.readOnly ? ", read-only" : ""}`;
}

/**
 * FreeBSD: every directory of one file system on one line, then options, then
 * hosts. mountd allows a host only once per file system, so a shared root and
 * its etc share one line rather than two. A shared root with read-only and
 * read-write clients needs one line per option set (exports(5) gives options
 * per line); each line names different hosts.
 */
export function renderExportsFreebsd(inv: Inventory): string {
  const out = [generatedHeader("FreeBSD exports(5) for the diskless roots (laggboot render exports)"), ""];
  const v4 = nfs4Clients(inv);
  if (v4.length > 0) {
    out.push(
      "# NFSv4 (Linux clients with root.nfsVersion 4): the tree is rooted at / so that",
      "# NFSv4 clients mount the same paths as NFSv3 ones. mountd takes one V4: line",
      "# only: if another exports file has one, keep a single line rooted at /.",
      wrap("V4: / -sec=sys", v4.map((c) => c.ip)),
    );
  }
  for (const e of rootExports(inv)) {
    const opts = [...(e.readOnly ? ["-ro"] : []), "-maproot=root"];
    out.push(comment(e), wrap([...dirsOf("exports", e), ...opts].join(" "), e.clients.map((c) => c.ip)));
  }
  return `${out.join("\n")}\n`;
}

/**
 * Linux: one line per directory, the options in parentheses after each host.
 * A shared root some of whose clients mount it read-write gets one line
 * with both kinds of host, so no directory is listed twice.
 */
export function renderExportsLinux(inv: Inventory): string {
  const out = [generatedHeader("Linux exports(5) for the diskless roots (laggboot render exports-linux)"), ""];
  if (nfs4Clients(inv).length > 0) {
    out.push(
      "# NFSv4 (Linux clients with root.nfsVersion 4): no fsid=0 (fsid=root) export. rpc.mountd",
      "# then builds the NFSv4 pseudo-root from these exports, and NFSv4 clients mount the same",
      "# paths as NFSv3 ones; an fsid=0 export would make every NFSv4 path relative to it.",
    );
  }
  const byPath = new Map<string, RootExport[]>();
  for (const e of rootExports(inv)) byPath.set(e.path, [...(byPath.get(e.path) ?? []), e]);
  for (const group of byPath.values()) {
    // sync: the client's root must not lose acknowledged writes; no_subtree_check: the root is a whole tree.
    const hosts = sortByIp(group.flatMap((e) => e.clients.map((c) => ({ ip: c.ip, readOnly: e.readOnly }))))
      .map((h) => `${h.ip}(${h.readOnly ? "ro" : "rw"},sync,no_root_squash,no_subtree_check)`);
    for (const e of group) out.push(comment(e));
    for (const dir of dirsOf("exports-linux", group[0]!)) out.push(wrap(dir, hosts));
  }
  return `${out.join("\n")}\n`;
}
