/**
 * The Range header (RFC 9110 section 14.2), for one byte range. A request for
 * several ranges is served whole (a server may ignore Range, section 14.2),
 * and so is a header that does not parse or names another unit.
 */

export type RangeResult =
  | { readonly kind: "none" }
  | { readonly kind: "range"; readonly start: number; readonly end: number }
  | { readonly kind: "unsatisfiable" };

const NONE: RangeResult = { kind: "none" };
const DIGITS = /^[0-9]{1,15}$/;

/** `end` is inclusive, as in Content-Range. */
export function parseRange(header: string | undefined, sizeBytes: number): RangeResult {
  if (header === undefined) return NONE;
  const m = /^\s*bytes\s*=\s*(.*)$/i.exec(header);
  if (!m) return NONE;
  const specs = m[1]!.split(",").map((s) => s.trim()).filter((s) => s !== "");
  if (specs.length !== 1) return NONE;
  const dash = specs[0]!.indexOf("-");
  if (dash < 0) return NONE;
  const a = specs[0]!.slice(0, dash).trim();
  const b = specs[0]!.slice(dash + 1).trim();
  if (a === "") {
    // suffix-range: the last N bytes (section 14.1.2).
    if (!DIGITS.test(b)) return NONE;
    const n = Number(b);
    if (n === 0 || sizeBytes === 0) return { kind: "unsatisfiable" };
    return { kind: "range", start: Math.max(0, sizeBytes - n), end: sizeBytes - 1 };
  }
  if (!DIGITS.test(a) || (b !== "" && !DIGITS.test(b))) return NONE;
  const start = Number(a);
  if (b !== "" && Number(b) < start) return NONE;
  if (start >= sizeBytes) return { kind: "unsatisfiable" };
  return { kind: "range", start, end: b === "" ? sizeBytes - 1 : Math.min(Number(b), sizeBytes - 1) };
}
