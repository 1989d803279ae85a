/**
 * The in-memory view of leases and declined addresses that both store
 * implementations answer reads from. The SQLite store keeps it in step with
 * the database (loaded at open, updated at each write before the write is
 * durable), so reads never wait for a disk and always see writes in flight.
 */
import type { BadAddress, Lease } from "./types.js";

export class LeaseIndex {
  private readonly byIp = new Map<string, Lease>();
  private readonly byMac = new Map<string, Set<string>>();
  private readonly bad = new Map<string, BadAddress>();
  /** Per pool range, where the next free-address search starts. */
  private readonly cursors = new Map<string, number>();

  put(given: Lease): void {
    const lease = normalizeLease(given);
    this.remove(lease.ip);
    this.byIp.set(lease.ip, lease);
    let ips = this.byMac.get(lease.mac);
    if (ips === undefined) {
      ips = new Set();
      this.byMac.set(lease.mac, ips);
    }
    ips.add(lease.ip);
  }

  remove(ip: string): boolean {
    const old = this.byIp.get(ip);
    if (old === undefined) return false;
    this.byIp.delete(ip);
    const ips = this.byMac.get(old.mac);
    ips?.delete(ip);
    if (ips !== undefined && ips.size === 0) this.byMac.delete(old.mac);
    return true;
  }

  putBad(bad: BadAddress): void {
    this.bad.set(bad.ip, { ip: bad.ip, mac: bad.mac, network: bad.network, sinceMs: bad.sinceMs, untilMs: bad.untilMs });
  }

  removeBad(ip: string): void {
    this.bad.delete(ip);
  }

  get(ip: string): Lease | undefined {
    return this.byIp.get(ip);
  }

  byMacAddress(mac: string): Lease[] {
    const ips = this.byMac.get(mac);
    if (ips === undefined) return [];
    const leases: Lease[] = [];
    for (const ip of ips) leases.push(this.byIp.get(ip)!);
    return leases.length > 1 ? leases.sort(compareIp) : leases;
  }

  all(): Lease[] {
    return [...this.byIp.values()].sort(compareIp);
  }

  /** Start a range's first search at `fraction` (0..1) of it instead of its start; no effect once searched. */
  seedCursor(first: string, last: string, fraction: number): void {
    const key = `${first}-${last}`;
    if (this.cursors.has(key)) return;
    const lo = ipNumber(first), hi = ipNumber(last);
    if (!(lo <= hi)) return;
    this.cursors.set(key, lo + Math.floor((hi - lo + 1) * Math.min(Math.max(fraction, 0), 0.999999)));
  }

  freeAddress(first: string, last: string, usable: (ip: string) => boolean): string | undefined {
    const lo = ipNumber(first);
    const hi = ipNumber(last);
    if (!(lo <= hi)) return undefined;
    const key = `${first}-${last}`;
    const size = hi - lo + 1;
    const start = Math.min(Math.max(this.cursors.get(key) ?? lo, lo), hi);
    for (let i = 0; i < size; i++) {
      const n = lo + ((start - lo + i) % size);
      const ip = numberIp(n);
      if (usable(ip)) {
        this.cursors.set(key, n === hi ? lo : n + 1);
        return ip;
      }
    }
    return undefined;
  }

  isBad(ip: string, nowMs: number): boolean {
    const b = this.bad.get(ip);
    return b !== undefined && b.untilMs > nowMs;
  }

  badAt(nowMs: number): BadAddress[] {
    return [...this.bad.values()].filter((b) => b.untilMs > nowMs).sort(compareIp);
  }

  /** Leases expired at `nowMs` (expiresMs <= now) and bad marks past their time. */
  expired(nowMs: number): { leases: string[]; bad: string[] } {
    const leases = [...this.byIp.values()].filter((l) => l.expiresMs <= nowMs).map((l) => l.ip);
    const bad = [...this.bad.values()].filter((b) => b.untilMs <= nowMs).map((b) => b.ip);
    return { leases, bad };
  }

  clear(): void {
    this.byIp.clear();
    this.byMac.clear();
    this.bad.clear();
  }
}

/** A fresh copy without undefined optional fields, so both stores return equal values. */
export function normalizeLease(l: Lease): Lease {
  // Optional fields only when set; assigned, not spread (this runs for every lease write).
  const out: { -readonly [K in keyof Lease]: Lease[K] } = {
    ip: l.ip, mac: l.mac, network: l.network, state: l.state, startMs: l.startMs, expiresMs: l.expiresMs,
  };
  if (l.clientId !== undefined) out.clientId = l.clientId;
  if (l.hostName !== undefined) out.hostName = l.hostName;
  return out;
}

/** Numeric order of dotted quads, so listings read naturally. */
function ipNumber(ip: string): number {
  // The same value as summing the dotted parts base 256, without the split's arrays (it runs per lease lookup).
  let n = 0;
  let part = 0;
  for (let i = 0; i < ip.length; i++) {
    const c = ip.charCodeAt(i);
    if (c === 46) {
      n = n * 256 + part;
      part = 0;
    } else if (c >= 48 && c <= 57) part = part * 10 + (c - 48);
    else return NaN; // as Number() of a non-numeric part
  }
  return n * 256 + part;
}

function numberIp(n: number): string {
  return `${Math.floor(n / 16777216) % 256}.${Math.floor(n / 65536) % 256}.${Math.floor(n / 256) % 256}.${n % 256}`;
}

function compareIp(a: { ip: string }, b: { ip: string }): number {
  return ipNumber(a.ip) - ipNumber(b.ip);
}
