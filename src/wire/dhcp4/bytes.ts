/** Small byte helpers shared by the codec. Every read is bounds-checked by the caller. */

export function ipv4FromBytes(b: Uint8Array, at: number): string {
  // Most header addresses of a request are 0.0.0.0 (ciaddr, yiaddr, siaddr): one constant, no number formatting.
  if (b[at] === 0 && b[at + 1] === 0 && b[at + 2] === 0 && b[at + 3] === 0) return "0.0.0.0";
  return `${b[at]!}.${b[at + 1]!}.${b[at + 2]!}.${b[at + 3]!}`;
}

/** Parses a dotted quad ("a.b.c.d", each 0..255, 1-3 digits); undefined when malformed. */
export function parseIpv4Bytes(s: string): Uint8Array | undefined {
  const n = ipv4ToInt(s);
  return n === undefined ? undefined : Uint8Array.of(n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255);
}

/** A dotted quad as a number, without allocating (hand-written: it runs for every address of every reply and per pool candidate). */
export function ipv4ToInt(s: string): number | undefined {
  let n = 0;
  let part = 0;
  let value = 0;
  let digits = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 48 && c <= 57) {
      value = value * 10 + (c - 48);
      if (++digits > 3 || value > 255) return undefined;
    } else if (c === 46 && digits > 0 && part < 3) {
      n = n * 256 + value;
      part++;
      value = 0;
      digits = 0;
    } else return undefined;
  }
  if (part !== 3 || digits === 0) return undefined;
  return n * 256 + value;
}

export function intToIpv4(n: number): string {
  return `${(n >>> 24) & 255}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`;
}

/** latin1: every byte maps to one code unit and back, so no byte sequence can fail. */
export function latin1(b: Uint8Array): string {
  let s = "";
  for (const x of b) s += String.fromCharCode(x);
  return s;
}

export function latin1Bytes(s: string): Uint8Array | undefined {
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c > 255) return undefined;
    out[i] = c;
  }
  return out;
}

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, "0"));
const HEX_DIGIT = Array.from("0123456789abcdef", (c) => c.charCodeAt(0));
/** Arguments passed to one String.fromCharCode call at most (far below any engine's limit). */
const MAX_CHAR_CODES_AT_ONCE = 3000;

/**
 * Lower-case hex of the first `length` bytes, `sep` (at most one character)
 * between bytes. Built from character codes in one go: a string built by
 * `+=` is a rope that V8 flattens again the first time it is hashed, and
 * these strings (MACs, client ids) are Map keys for every packet.
 */
export function hex(b: Uint8Array, sep = "", length = b.length): string {
  length = Math.min(length, b.length);
  if (sep.length > 1 || length > MAX_CHAR_CODES_AT_ONCE / 3) {
    let s = "";
    for (let i = 0; i < length; i++) s += i === 0 ? HEX[b[i]!]! : sep + HEX[b[i]!]!;
    return s;
  }
  const step = sep.length === 0 ? 2 : 3;
  const sepCode = sep.length === 0 ? 0 : sep.charCodeAt(0);
  const codes: number[] = new Array<number>(length === 0 ? 0 : length * step - (step - 2));
  for (let i = 0, at = 0; i < length; i++, at += step) {
    const x = b[i]!;
    if (i > 0 && step === 3) codes[at - 1] = sepCode;
    codes[at] = HEX_DIGIT[x >> 4]!;
    codes[at + 1] = HEX_DIGIT[x & 15]!;
  }
  return String.fromCharCode(...codes);
}

export function concatBytes(parts: readonly Uint8Array[]): Uint8Array {
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** Lower-case colon form of a hardware address, e.g. "02:00:00:00:00:01". */
export function macString(b: Uint8Array, length = b.length): string {
  return hex(b, ":", length);
}
