/**
 * The first half of the HTTP boot path jail, pure: a request target becomes
 * a path relative to the boot root, or a refusal. The second half (realpath,
 * O_NOFOLLOW, regular files only) is the TFTP server's jail, shared.
 *
 * - origin-form `/a/b?q` and absolute-form `http://host/a/b` (RFC 9112
 *   section 3.2.2: a server must accept it) name the same file; the query
 *   is ignored (boot files have none).
 * - Percent escapes are decoded once, strictly: a bad escape is a 400, and a
 *   decoded `..`, `/`, `\`, NUL or control character is judged like a literal
 *   one, so `%2e%2e/` and `..%2f` are refused as parent directories.
 * - After decoding, the TFTP rules: printable ASCII only, `\` is a separator,
 *   any `..` segment is refused (even one that would stay inside), `.` and
 *   empty segments are dropped.
 * - A trailing `/` is kept as a fact: it asks for a directory.
 */

export type TargetRefusal = {
  readonly ok: false;
  /** 400 malformed, 403 forbidden path, 414 too long. */
  readonly status: 400 | 403 | 414;
  readonly reason: string;
};

export interface BootTarget {
  readonly ok: true;
  /** Segments joined by `/`, no leading slash; "" is the root. */
  readonly path: string;
  readonly segments: readonly string[];
  /** The target ended in `/` (a directory is asked for). */
  readonly directory: boolean;
}

const ABSOLUTE_FORM = /^[a-z][a-z0-9+.-]*:\/\/[^/?#]*/i;

export function parseTarget(raw: string, maxPathBytes: number): BootTarget | TargetRefusal {
  const refuse = (status: 400 | 403 | 414, reason: string): TargetRefusal => ({ ok: false, status, reason });
  if (raw.length > maxPathBytes * 3 + 64) return refuse(414, "target too long");
  let t = raw;
  const abs = ABSOLUTE_FORM.exec(t);
  if (abs) t = t.slice(abs[0].length) || "/";
  const q = t.search(/[?#]/);
  if (q >= 0) t = t.slice(0, q);
  if (!t.startsWith("/")) return refuse(400, "target is not a path");
  let decoded: string;
  try {
    decoded = decodeStrict(t);
  } catch {
    return refuse(400, "bad percent escape");
  }
  if (decoded.length > maxPathBytes) return refuse(414, "path too long");
  for (let i = 0; i < decoded.length; i++) {
    const c = decoded.charCodeAt(i);
    if (c < 0x20 || c >= 0x7f) return refuse(403, "control or non-ASCII character");
  }
  const segments: string[] = [];
  for (const s of decoded.replaceAll("\\", "/").split("/")) {
    if (s === "" || s === ".") continue;
    if (s === "..") return refuse(403, "parent directory");
    segments.push(s);
  }
  const directory = segments.length === 0 || /[/\\]$/.test(decoded);
  return { ok: true, path: segments.join("/"), segments, directory };
}

/** Percent-decoding that throws on a `%` not followed by two hex digits (decodeURIComponent would accept UTF-8 only). */
function decodeStrict(s: string): string {
  if (!s.includes("%")) return s;
  let out = "";
  for (let i = 0; i < s.length; i++) {
    const ch = s[i]!;
    if (ch !== "%") {
      out += ch;
      continue;
    }
    const hex = s.slice(i + 1, i + 3);
    if (!/^[0-9a-fA-F]{2}$/.test(hex)) throw new Error("bad escape");
    out += String.fromCharCode(parseInt(hex, 16));
    i += 2;
  }
  return out;
}

/** `path` as a URL path: each segment percent-encoded, joined by `/`, with a leading `/`. */
export function urlPath(path: string): string {
  return "/" + path.split("/").filter((s) => s !== "").map((s) => encodeURIComponent(s)).join("/");
}
