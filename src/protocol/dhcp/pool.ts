/**
 * The optional dynamic pool: which address a client without a reservation
 * gets. Deterministic for a given lease state, so a retransmitted DISCOVER
 * gets the same OFFER: the client's own (even expired) lease first, then the
 * address it asks for, then the first free one.
 */
import { intToIpv4, ipv4ToInt } from "../../wire/dhcp4/bytes.js";
import { inNetwork, type CompiledNetwork, type CompiledPolicy } from "./compile.js";
import type { DhcpLease, LeaseView } from "./leases.js";

/** Is `l` in force at `nowMs`? */
export function isLive(l: DhcpLease | undefined, nowMs: number): l is DhcpLease {
  return l !== undefined && l.expiresMs > nowMs;
}

/**
 * The client's lease on this network, live or not (a returning client gets
 * its old address back); `prefer`, when the client holds it, over any other.
 * A client may briefly hold two: servers sharing a store each held an
 * address for its DISCOVER, and it REQUESTs one of them.
 */
export function leaseOf(leases: LeaseView, mac: string, net: CompiledNetwork, prefer?: string): DhcpLease | undefined {
  let first: DhcpLease | undefined;
  for (const l of leases.leasesByMac(mac)) {
    if (l.network !== net.policy.name) continue;
    if (l.ip === prefer) return l;
    first ??= l;
  }
  return first;
}

export function inPool(net: CompiledNetwork, ip: string): boolean {
  const n = ipv4ToInt(ip);
  return n !== undefined && net.poolFirst !== undefined && net.poolLast !== undefined && n >= net.poolFirst && n <= net.poolLast;
}

/** May `ip` be given to `mac` now? Never a network, broadcast, server, gateway or reserved address. */
export function usableFor(c: CompiledPolicy, net: CompiledNetwork, ip: string, mac: string, leases: LeaseView, nowMs: number): boolean {
  const n = ipv4ToInt(ip);
  if (n === undefined || net.poolFirst === undefined || net.poolLast === undefined || n < net.poolFirst || n > net.poolLast) return false;
  if (!inNetwork(net, n)) return false;
  if (n === net.base || ip === net.broadcast || ip === net.policy.gateway) return false;
  if (c.serverAddresses.has(ip) || c.reservedIps.has(ip)) return false;
  if (leases.isBadAddress(ip, nowMs)) return false;
  const holder = leases.leaseByIp(ip);
  return !isLive(holder, nowMs) || holder.mac === mac;
}

export function allocate(c: CompiledPolicy, net: CompiledNetwork, mac: string, requested: string | undefined, leases: LeaseView, nowMs: number): string | undefined {
  if (net.poolFirst === undefined || net.poolLast === undefined) return undefined;
  const usable = (ip: string): boolean => usableFor(c, net, ip, mac, leases, nowMs);
  const own = leaseOf(leases, mac, net);
  if (own !== undefined && usable(own.ip)) return own.ip;
  if (requested !== undefined && usable(requested)) return requested;
  if (leases.freeAddress !== undefined) {
    const ip = leases.freeAddress(intToIpv4(net.poolFirst), intToIpv4(net.poolLast), nowMs, usable);
    return ip !== undefined && usable(ip) ? ip : undefined;
  }
  for (let n = net.poolFirst; n <= net.poolLast; n++) {
    const ip = intToIpv4(n);
    if (usable(ip)) return ip;
  }
  return undefined;
}
