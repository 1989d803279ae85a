/**
 * Does an NFS server's export list (MOUNT v3 EXPORT, RFC 1813 section 5.2.5)
 * let a given client mount a given path? Pure: the list, the path and what we
 * know of the client in; a verdict with its reasons out.
 *
 * `ex_groups` names are free text: each server writes what its export table
 * holds. Seen in practice and understood here:
 *   - empty list, "*", "(everyone)", "everyone": everyone (RFC 1813 leaves an
 *     empty list to mean "no restriction"; Linux showmount prints "(everyone)")
 *   - "198.18.4.10": one host; "198.18.4.10/32", "198.18.4.0/24",
 *     "198.18.4.0/255.255.255.0": networks (nfs-ganesha reports hosts as /32)
 *   - "client1.lab.example", "client1": host names, matched case-insensitively
 *     against the client's names; "*.lab.example": shell-style wildcards
 *   - "@group": a netgroup: cannot be resolved from here, so undecided
 *   - "<unknown>" (nfs-ganesha, for a name it could not resolve) and anything
 *     else unparsable: undecided, never silently allowed
 */
import type { ExportEntry } from "../wire/sunrpc/mount.js";

export interface ExportClient {
  /** The client's IPv4 address, dotted quad. */
  readonly address: string;
  /** Names the client is known by (FQDN and short), for host-name groups. */
  readonly hostnames: readonly string[];
}

export type GroupKind = "everyone" | "host" | "network" | "hostname" | "wildcard" | "netgroup" | "ipv6" | "unknown";

export interface GroupMatch {
  readonly group: string;
  readonly kind: GroupKind;
  /** "unknown" when the group cannot be decided from here (netgroup, unresolved name). */
  readonly matches: boolean | "unknown";
}

export type ExportVerdict =
  | { readonly verdict: "allowed"; readonly entry: ExportEntry; readonly pathMatch: PathMatch; readonly by: GroupMatch }
  | { readonly verdict: "denied"; readonly entry: ExportEntry; readonly pathMatch: PathMatch; readonly groups: readonly GroupMatch[] }
  | { readonly verdict: "undecided"; readonly entry: ExportEntry; readonly pathMatch: PathMatch; readonly undecided: readonly GroupMatch[] }
  | { readonly verdict: "not-listed"; readonly listed: readonly string[] };

/**
 * "exact": the path itself is exported. "parent": an ancestor is; whether a
 * subdirectory may be mounted depends on the server (FreeBSD mountd needs
 * -alldirs, Linux and nfs-ganesha allow it within the export).
 */
export type PathMatch = "exact" | "parent";

/** Collapse repeated slashes and drop a trailing one ("/" stays "/"). */
export function normalizeExportPath(p: string): string {
  const s = p.replace(/\/+/g, "/");
  return s.length > 1 && s.endsWith("/") ? s.slice(0, -1) : s;
}

const IPV4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;

/** Dotted quad to a 32-bit unsigned number, or undefined if it is not one. */
export function ipv4ToNumber(s: string): number | undefined {
  const m = IPV4.exec(s);
  if (!m) return undefined;
  const parts = m.slice(1, 5).map(Number);
  if (parts.some((n) => n > 255)) return undefined;
  return ((parts[0]! << 24) >>> 0) + (parts[1]! << 16) + (parts[2]! << 8) + parts[3]!;
}

function prefixMask(bits: number): number {
  return bits === 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0;
}

/** A contiguous netmask to its prefix length, or undefined. */
function maskBits(mask: number): number | undefined {
  for (let bits = 0; bits <= 32; bits++) if (prefixMask(bits) === mask) return bits;
  return undefined;
}

function sameName(a: string, b: string): boolean {
  const norm = (s: string): string => s.toLowerCase().replace(/\.$/, "");
  return norm(a) === norm(b);
}

function globToRegExp(glob: string): RegExp {
  const body = glob
    .toLowerCase()
    .replace(/[.+^${}()|[\]\\]/g, "\\$&")
    .replace(/\*/g, "[^]*")
    .replace(/\?/g, ".");
  return new RegExp(`^${body}$`);
}

const EVERYONE = new Set(["", "*", "(everyone)", "everyone", "(everybody)", "everybody"]);

/** Classify one `ex_groups` name and decide it for the client. */
export function matchGroup(group: string, client: ExportClient): GroupMatch {
  const g = group.trim();
  if (EVERYONE.has(g.toLowerCase())) return { group, kind: "everyone", matches: true };
  const clientNum = ipv4ToNumber(client.address);
  const host = ipv4ToNumber(g);
  if (host !== undefined) return { group, kind: "host", matches: clientNum === host };
  const slash = g.indexOf("/");
  if (slash > 0) {
    const net = ipv4ToNumber(g.slice(0, slash));
    const tail = g.slice(slash + 1);
    const bits = /^\d{1,2}$/.test(tail) && Number(tail) <= 32 ? Number(tail) : maskBits(ipv4ToNumber(tail) ?? -1);
    if (net !== undefined && bits !== undefined) {
      const mask = prefixMask(bits);
      return { group, kind: "network", matches: clientNum !== undefined && ((clientNum & mask) >>> 0) === ((net & mask) >>> 0) };
    }
    if (g.includes(":")) return { group, kind: "ipv6", matches: false };
    return { group, kind: "unknown", matches: "unknown" };
  }
  if (g.includes(":")) return { group, kind: "ipv6", matches: false };
  if (g.startsWith("@")) return { group, kind: "netgroup", matches: "unknown" };
  if (/[*?]/.test(g)) {
    const re = globToRegExp(g);
    return { group, kind: "wildcard", matches: client.hostnames.some((h) => re.test(h.toLowerCase().replace(/\.$/, ""))) };
  }
  if (/^[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)*\.?$/.test(g)) {
    // A short group name ("client1") also matches the first label of a
    // client FQDN: the server resolved it with its search domain.
    const matches = client.hostnames.some((h) => sameName(h, g) || (!g.includes(".") && sameName(h.split(".")[0]!, g)));
    return { group, kind: "hostname", matches };
  }
  return { group, kind: "unknown", matches: "unknown" };
}

/**
 * The export that governs `path`: the exact one, else the longest exported
 * ancestor. Entries listed twice for the same directory are merged.
 */
function governingExport(exports: readonly ExportEntry[], path: string): { entry: ExportEntry; pathMatch: PathMatch } | undefined {
  const want = normalizeExportPath(path);
  let best: { dir: string; pathMatch: PathMatch } | undefined;
  for (const e of exports) {
    const dir = normalizeExportPath(e.dir);
    const covers = dir === want ? "exact" : dir === "/" || want.startsWith(`${dir}/`) ? "parent" : undefined;
    if (covers === undefined) continue;
    if (best === undefined || dir.length > best.dir.length) best = { dir, pathMatch: covers };
  }
  if (best === undefined) return undefined;
  const same = exports.filter((e) => normalizeExportPath(e.dir) === best.dir);
  // One entry with no groups means everyone, whatever the others list.
  const groups = same.some((e) => e.groups.length === 0) ? [] : same.flatMap((e) => e.groups);
  return { entry: { dir: same[0]!.dir, groups }, pathMatch: best.pathMatch };
}

export function isExportedTo(
  exports: readonly ExportEntry[],
  path: string,
  clientAddress: string,
  clientHostnames: readonly string[] = [],
): ExportVerdict {
  const gov = governingExport(exports, path);
  if (gov === undefined) return { verdict: "not-listed", listed: exports.map((e) => e.dir) };
  const { entry, pathMatch } = gov;
  if (entry.groups.length === 0) return { verdict: "allowed", entry, pathMatch, by: { group: "", kind: "everyone", matches: true } };
  const client: ExportClient = { address: clientAddress, hostnames: clientHostnames };
  const matches = entry.groups.map((g) => matchGroup(g, client));
  const yes = matches.find((m) => m.matches === true);
  if (yes) return { verdict: "allowed", entry, pathMatch, by: yes };
  const undecided = matches.filter((m) => m.matches === "unknown");
  if (undecided.length > 0) return { verdict: "undecided", entry, pathMatch, undecided };
  return { verdict: "denied", entry, pathMatch, groups: matches };
}
