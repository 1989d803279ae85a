/**
 * Validators and conditional requests (RFC 9110 sections 8.8 and 13): the
 * ETag and Last-Modified of a boot file, and what If-Match,
 * If-Unmodified-Since, If-None-Match, If-Modified-Since and If-Range ask.
 * Dates are compared in whole seconds, the resolution of an HTTP-date.
 */

export interface Validators {
  /** A strong entity tag, quoted. */
  readonly etag: string;
  readonly lastModifiedMs: number;
}

export interface ConditionalHeaders {
  readonly ifMatch?: string | undefined;
  readonly ifUnmodifiedSince?: string | undefined;
  readonly ifNoneMatch?: string | undefined;
  readonly ifModifiedSince?: string | undefined;
  readonly ifRange?: string | undefined;
}

/** From the file's inode, size and modification time: changes whenever a site replaces or edits a boot file. */
export function fileValidators(ino: number, sizeBytes: number, mtimeMs: number): Validators {
  const h = (n: number): string => Math.max(0, Math.floor(n)).toString(16);
  return { etag: `"${h(ino)}-${h(sizeBytes)}-${h(mtimeMs)}"`, lastModifiedMs: mtimeMs };
}

/** IMF-fixdate (RFC 9110 section 5.6.7). */
export function httpDate(ms: number): string {
  return new Date(ms).toUTCString();
}

const seconds = (ms: number): number => Math.floor(ms / 1000);

function parseDate(v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const t = Date.parse(v);
  return Number.isNaN(t) ? undefined : t;
}

/** Entity tags of a list header; "*" stands alone. Unparsable members are dropped. */
function tags(v: string): { any: boolean; list: { weak: boolean; opaque: string }[] } {
  if (v.trim() === "*") return { any: true, list: [] };
  const list: { weak: boolean; opaque: string }[] = [];
  for (const m of v.matchAll(/(W\/)?("[^"]*")/g)) list.push({ weak: m[1] !== undefined, opaque: m[2]! });
  return { any: false, list };
}

const opaqueOf = (etag: string): string => etag.replace(/^W\//, "");

export type Precondition = "proceed" | "not-modified" | "precondition-failed";

/** RFC 9110 section 13.2.2, steps 1 to 4 (If-Range is `rangeApplies`). GET and HEAD only. */
export function evaluatePreconditions(h: ConditionalHeaders, v: Validators): Precondition {
  if (h.ifMatch !== undefined) {
    const t = tags(h.ifMatch);
    // Strong comparison: a weak tag never matches.
    if (!t.any && !t.list.some((x) => !x.weak && x.opaque === v.etag)) return "precondition-failed";
  } else {
    const since = parseDate(h.ifUnmodifiedSince);
    if (since !== undefined && seconds(v.lastModifiedMs) > seconds(since)) return "precondition-failed";
  }
  if (h.ifNoneMatch !== undefined) {
    const t = tags(h.ifNoneMatch);
    // Weak comparison.
    if (t.any || t.list.some((x) => x.opaque === opaqueOf(v.etag))) return "not-modified";
  } else {
    const since = parseDate(h.ifModifiedSince);
    if (since !== undefined && seconds(v.lastModifiedMs) <= seconds(since)) return "not-modified";
  }
  return "proceed";
}

/** If-Range (section 13.1.5): honour Range only while the representation is the one the client holds. */
export function rangeApplies(ifRange: string | undefined, v: Validators): boolean {
  if (ifRange === undefined) return true;
  const s = ifRange.trim();
  if (s.startsWith('"') || s.startsWith("W/")) return s === v.etag; // strong comparison; a weak tag never matches
  const d = parseDate(s);
  return d !== undefined && seconds(d) === seconds(v.lastModifiedMs);
}
