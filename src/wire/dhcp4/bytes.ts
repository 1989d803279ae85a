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

export function hex(b: Uint8Array, sep = ""): string {
  let s = "";
  for (let i = 0; i < b.length; i++) s += i === 0 ? HEX[b[i]!]! : sep + HEX[b[i]!]!;
  return s;
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
export function macString(b: Uint8Array): string {
  return hex(b, ":");
}
