/**
 * Turns a DhcpPolicy into lookup tables once (at start and on reload), so
 * each request costs a few map lookups. Rejects a policy the responder could
 * not apply consistently.
 */
import { LaggbootError } from "../../errors.js";
import { intToIpv4, ipv4ToInt } from "../../wire/dhcp4/bytes.js";
import type { DhcpNetworkPolicy, DhcpPolicy, DhcpReservation } from "./policy.js";

export interface CompiledNetwork {
  readonly policy: DhcpNetworkPolicy;
  readonly base: number;
  readonly maskBits: number;
  readonly netmask: string;
  readonly broadcast: string;
  readonly poolFirst: number | undefined;
  readonly poolLast: number | undefined;
}

export interface CompiledPolicy {
  readonly policy: DhcpPolicy;
  readonly networks: readonly CompiledNetwork[];
  readonly byMac: ReadonlyMap<string, DhcpReservation>;
  /** Every reserved address, so the pool never hands one out. */
  readonly reservedIps: ReadonlySet<string>;
  readonly serverAddresses: ReadonlySet<string>;
  readonly offerHoldMs: number;
  readonly declineHoldMs: number;
}

/** "02-00-00-AA-bb-cc" -> "02:00:00:aa:bb:cc". */
export function normalizeMac(mac: string): string {
  return mac.trim().toLowerCase().replace(/-/g, ":");
}

function mustIp(s: string, what: string): number {
  const n = ipv4ToInt(s);
  if (n === undefined) throw new LaggbootError("LB_ERR_BAD_IPV4", `dhcp policy: ${what} "${s}" is not an IPv4 address`);
  return n;
}

function maskOf(length: number): number {
  return length === 0 ? 0 : (0xffffffff << (32 - length)) >>> 0;
}

export function inNetwork(net: CompiledNetwork, ip: number): boolean {
  return ((ip & net.maskBits) >>> 0) === net.base;
}

function compileNetwork(n: DhcpNetworkPolicy): CompiledNetwork {
  if (!Number.isInteger(n.prefix.length) || n.prefix.length < 0 || n.prefix.length > 32) {
    throw new LaggbootError("LB_ERR_NETWORK", `dhcp policy: network ${n.name}: prefix length ${n.prefix.length}`);
  }
  const maskBits = maskOf(n.prefix.length);
  const base = (mustIp(n.prefix.network, `network ${n.name}`) & maskBits) >>> 0;
  const net: CompiledNetwork = {
    policy: n, base, maskBits, netmask: intToIpv4(maskBits), broadcast: intToIpv4((base | ~maskBits) >>> 0),
    poolFirst: undefined, poolLast: undefined,
  };
  mustIp(n.serverAddress, `network ${n.name} serverAddress`);
  if (n.pool === undefined) return net;
  const first = mustIp(n.pool.first, `network ${n.name} pool`);
  const last = mustIp(n.pool.last, `network ${n.name} pool`);
  if (first > last || !inNetwork(net, first) || !inNetwork(net, last)) {
    throw new LaggbootError("LB_ERR_NETWORK", `dhcp policy: network ${n.name}: pool ${n.pool.first}-${n.pool.last} is not a range inside ${n.prefix.network}/${n.prefix.length}`);
  }
  return { ...net, poolFirst: first, poolLast: last };
}

export function compilePolicy(policy: DhcpPolicy): CompiledPolicy {
  const networks = policy.networks.map(compileNetwork);
  const byMac = new Map<string, DhcpReservation>();
  const reservedIps = new Set<string>();
  for (const r of policy.reservations) {
    mustIp(r.ip, `client ${r.clientName} ip`);
    reservedIps.add(r.ip);
    for (const m of r.macs) {
      const mac = normalizeMac(m);
      const other = byMac.get(mac);
      if (other !== undefined && other !== r) {
        throw new LaggbootError("LB_ERR_DUPLICATE", `dhcp policy: MAC ${mac} belongs to ${other.clientName} and ${r.clientName}`);
      }
      byMac.set(mac, r);
    }
  }
  mustIp(policy.nextServer, "nextServer");
  return {
    policy, networks, byMac, reservedIps,
    serverAddresses: new Set(policy.networks.map((n) => n.serverAddress)),
    offerHoldMs: (policy.offerHoldSeconds ?? 60) * 1000,
    declineHoldMs: (policy.declineHoldSeconds ?? 3600) * 1000,
  };
}

export function networkContaining(c: CompiledPolicy, ip: string): CompiledNetwork | undefined {
  const n = ipv4ToInt(ip);
  if (n === undefined) return undefined;
  // Longest prefix wins, should networks nest.
  let best: CompiledNetwork | undefined;
  for (const net of c.networks) if (inNetwork(net, n) && (best === undefined || net.policy.prefix.length > best.policy.prefix.length)) best = net;
  return best;
}
