/**
 * Turns a DhcpPolicy into lookup tables once (at start and on reload), so
 * each request costs a few map lookups. Rejects a policy the responder could
 * not apply consistently.
 */
import { LaggbootError } from "../../errors.js";
import { intToIpv4, ipv4ToInt } from "../../wire/dhcp4/bytes.js";
import { DhcpOption } from "../../wire/dhcp4/codes.js";
import { optionBytes } from "../../wire/dhcp4/option-values.js";
import type { DhcpNetworkPolicy, DhcpPolicy, DhcpReservation } from "./policy.js";

export interface CompiledNetwork {
  readonly policy: DhcpNetworkPolicy;
  readonly base: number;
  readonly maskBits: number;
  readonly netmask: string;
  readonly broadcast: string;
  readonly poolFirst: number | undefined;
  readonly poolLast: number | undefined;
  /** The network's option values, encoded once: every OFFER and ACK carries them. */
  readonly wire: NetworkOptionBytes;
}

export interface NetworkOptionBytes {
  readonly serverId: Uint8Array;
  readonly subnetMask: Uint8Array;
  readonly router: Uint8Array | undefined;
  readonly dns: Uint8Array | undefined;
  readonly domain: Uint8Array | undefined;
  readonly broadcast: Uint8Array;
  readonly mtu: Uint8Array | undefined;
}

/** A reservation's own option values, encoded once. */
export interface ReservationOptionBytes {
  readonly hostName: Uint8Array;
  readonly rootPath: Uint8Array | undefined;
}

export interface CompiledPolicy {
  readonly policy: DhcpPolicy;
  readonly networks: readonly CompiledNetwork[];
  readonly byMac: ReadonlyMap<string, DhcpReservation>;
  /** Every reserved address, so the pool never hands one out. */
  readonly reservedIps: ReadonlySet<string>;
  readonly reservationWire: ReadonlyMap<DhcpReservation, ReservationOptionBytes>;
  /** The network each reservation's address lies in (absent: none of ours). */
  readonly reservationNetwork: ReadonlyMap<DhcpReservation, CompiledNetwork>;
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
  mustIp(n.serverAddress, `network ${n.name} serverAddress`);
  const netmask = intToIpv4(maskBits);
  const broadcast = intToIpv4((base | ~maskBits) >>> 0);
  const wire = encodeValues(`network ${n.name}`, () => ({
    serverId: optionBytes(DhcpOption.ServerIdentifier, n.serverAddress),
    subnetMask: optionBytes(DhcpOption.SubnetMask, netmask),
    router: n.gateway === undefined ? undefined : optionBytes(DhcpOption.Router, [n.gateway]),
    dns: n.dns.length === 0 ? undefined : optionBytes(DhcpOption.DomainNameServer, n.dns),
    domain: n.domain === undefined ? undefined : optionBytes(DhcpOption.DomainName, n.domain),
    broadcast: optionBytes(DhcpOption.BroadcastAddress, broadcast),
    mtu: n.mtu === undefined ? undefined : optionBytes(DhcpOption.InterfaceMtu, n.mtu),
  }));
  const net: CompiledNetwork = { policy: n, base, maskBits, netmask, broadcast, poolFirst: undefined, poolLast: undefined, wire };
  if (n.pool === undefined) return net;
  const first = mustIp(n.pool.first, `network ${n.name} pool`);
  const last = mustIp(n.pool.last, `network ${n.name} pool`);
  if (first > last || !inNetwork(net, first) || !inNetwork(net, last)) {
    throw new LaggbootError("LB_ERR_NETWORK", `dhcp policy: network ${n.name}: pool ${n.pool.first}-${n.pool.last} is not a range inside ${n.prefix.network}/${n.prefix.length}`);
  }
  return { ...net, poolFirst: first, poolLast: last };
}

/** Runs an encoder over policy values; a value the wire cannot carry (over 255 bytes, not latin1, not an address) is a policy error. */
function encodeValues<T>(what: string, f: () => T): T {
  try {
    return f();
  } catch (cause) {
    throw new LaggbootError("LB_ERR_UNSAFE_VALUE", `dhcp policy: ${what}: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
  }
}

function checkLength(what: string, b: Uint8Array | undefined): Uint8Array | undefined {
  if (b !== undefined && (b.length === 0 || b.length > 255)) throw new RangeError(`${what} must be 1..255 bytes`);
  return b;
}

export function compilePolicy(policy: DhcpPolicy): CompiledPolicy {
  const networks = policy.networks.map(compileNetwork);
  const byMac = new Map<string, DhcpReservation>();
  const reservedIps = new Set<string>();
  const reservationWire = new Map<DhcpReservation, ReservationOptionBytes>();
  for (const r of policy.reservations) {
    mustIp(r.ip, `client ${r.clientName} ip`);
    reservationWire.set(r, encodeValues(`client ${r.clientName}`, () => ({
      hostName: checkLength("host-name", optionBytes(DhcpOption.HostName, r.hostName))!,
      rootPath: checkLength("root-path", r.rootPath === undefined ? undefined : optionBytes(DhcpOption.RootPath, r.rootPath)),
    })));
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
  const reservationNetwork = new Map<DhcpReservation, CompiledNetwork>();
  for (const r of policy.reservations) {
    const net = networkIn(networks, r.ip);
    if (net !== undefined) reservationNetwork.set(r, net);
  }
  return {
    reservationNetwork,
    policy, networks, byMac, reservedIps, reservationWire,
    serverAddresses: new Set(policy.networks.map((n) => n.serverAddress)),
    offerHoldMs: (policy.offerHoldSeconds ?? 60) * 1000,
    declineHoldMs: (policy.declineHoldSeconds ?? 3600) * 1000,
  };
}

function networkIn(networks: readonly CompiledNetwork[], ip: string): CompiledNetwork | undefined {
  const n = ipv4ToInt(ip);
  if (n === undefined) return undefined;
  // Longest prefix wins, should networks nest.
  let best: CompiledNetwork | undefined;
  for (const net of networks) if (inNetwork(net, n) && (best === undefined || net.policy.prefix.length > best.policy.prefix.length)) best = net;
  return best;
}

export function networkContaining(c: CompiledPolicy, ip: string): CompiledNetwork | undefined {
  return networkIn(c.networks, ip);
}
