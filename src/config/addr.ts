/**
 * IPv4 addresses, prefixes and MAC addresses as branded values, so that a
 * string that has not been checked cannot reach a generator or the wire.
 */

export type Ipv4 = string & { readonly __brand: "Ipv4" };
export type Mac = string & { readonly __brand: "Mac" };

export interface Ipv4Prefix {
  readonly network: Ipv4;
  readonly length: number;
}

const IPV4_RE = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;

/** Dotted-quad only: no leading zeros (ambiguous: octal in some parsers), each part 0..255. */
export function parseIpv4(s: string): Ipv4 | undefined {
  const m = IPV4_RE.exec(s);
  if (!m) return undefined;
  for (const part of m.slice(1)) {
    if (part.length > 1 && part.startsWith("0")) return undefined;
    if (Number(part) > 255) return undefined;
  }
  return s as Ipv4;
}

export function ipv4ToInt(ip: Ipv4): number {
  let n = 0, part = 0;
  for (let i = 0; i < ip.length; i++) {
    const c = ip.charCodeAt(i);
    if (c === 46) {
      n = n * 256 + part;
      part = 0;
    } else {
      part = part * 10 + (c - 48);
    }
  }
  return n * 256 + part;
}

export function intToIpv4(n: number): Ipv4 {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join(".") as Ipv4;
}

/** "a.b.c.d/n" with the host bits zero. */
export function parsePrefix(s: string): Ipv4Prefix | undefined {
  const slash = s.indexOf("/");
  if (slash < 0) return undefined;
  const ip = parseIpv4(s.slice(0, slash));
  const lenText = s.slice(slash + 1);
  if (!ip || !/^\d{1,2}$/.test(lenText)) return undefined;
  const length = Number(lenText);
  if (length > 32) return undefined;
  if ((ipv4ToInt(ip) & ~maskInt(length)) >>> 0 !== 0) return undefined;
  return { network: ip, length };
}

export function maskInt(length: number): number {
  return length === 0 ? 0 : (0xffffffff << (32 - length)) >>> 0;
}

export function netmask(prefix: Ipv4Prefix): Ipv4 {
  return intToIpv4(maskInt(prefix.length));
}

export function broadcast(prefix: Ipv4Prefix): Ipv4 {
  return intToIpv4((ipv4ToInt(prefix.network) | ~maskInt(prefix.length)) >>> 0);
}

export function inPrefix(ip: Ipv4, prefix: Ipv4Prefix): boolean {
  const m = maskInt(prefix.length);
  return ((ipv4ToInt(ip) & m) >>> 0) === ipv4ToInt(prefix.network);
}

export function prefixesOverlap(a: Ipv4Prefix, b: Ipv4Prefix): boolean {
  return inPrefix(a.network, b) || inPrefix(b.network, a);
}

export function formatPrefix(p: Ipv4Prefix): string {
  return `${p.network}/${p.length}`;
}

const MAC_COLON = /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/;
const MAC_SEP = /^[0-9a-f]{2}([:-])[0-9a-f]{2}(\1[0-9a-f]{2}){4}$/;
const MAC_CISCO = /^[0-9a-f]{4}\.[0-9a-f]{4}\.[0-9a-f]{4}$/;

/** Accepts 00:1e:68:aa:bb:cc, 00-1E-68-AA-BB-CC and 001e.68aa.bbcc; returns lower-case colon form. */
export function parseMac(s: string): Mac | undefined {
  const hex = s.trim().toLowerCase();
  if (MAC_COLON.test(hex)) return hex as Mac;
  let digits: string;
  if (MAC_SEP.test(hex)) digits = hex.replace(/-/g, "");
  else if (MAC_CISCO.test(hex)) digits = hex.replace(/\./g, "");
  else return undefined;
  if (digits.includes(":")) digits = digits.replace(/:/g, "");
  return (digits.match(/../g) ?? []).join(":") as Mac;
}

export function macToBytes(mac: Mac): Uint8Array {
  return Uint8Array.from(mac.split(":").map((h) => parseInt(h, 16)));
}
