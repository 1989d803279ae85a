/**
 * Full-server mode: RFC 2131 section 4.3 message handling for reserved
 * clients and, when a network has one, the dynamic pool.
 */
import { DhcpOption, MessageType } from "../../wire/dhcp4/codes.js";
import { ZERO_ADDRESS } from "../../wire/dhcp4/types.js";
import { getOption } from "../../wire/dhcp4/option-values.js";
import { configOptions, event, fileField, ignore, nak, reply } from "./answer.js";
import { chooseBoot } from "./boot.js";
import { networkContaining, type CompiledNetwork } from "./compile.js";
import type { Exchange } from "./context.js";
import { IgnoreReason, type DhcpDecision } from "./decision.js";
import type { DhcpLease, LeaseWrite } from "./leases.js";
import type { DhcpReservation } from "./policy.js";
import { allocate, inPool, isLive, leaseOf } from "./pool.js";
import { relayLinkAddress } from "./link.js";

interface Client {
  readonly r: DhcpReservation | undefined;
  readonly net: CompiledNetwork;
}

/**
 * The client's network. Node cannot tell which interface a broadcast came in
 * on, so: the relay's link (link.ts); else the client's own ciaddr; else its
 * reservation; else the server address it unicast to; else the only directly
 * attached network (or the only one with a pool). Anything else is ambiguous
 * and ignored.
 */
function locate(x: Exchange): Client | DhcpDecision {
  const r = x.c.byMac.get(x.f.mac);
  let net: CompiledNetwork | undefined;
  if (x.f.relayed) net = networkContaining(x.c, relayLinkAddress(x));
  else if (x.req.ciaddr !== ZERO_ADDRESS) net = networkContaining(x.c, x.req.ciaddr);
  else if (r !== undefined) net = x.c.reservationNetwork.get(r);
  else if (x.ctx.localAddress !== undefined) net = networkContaining(x.c, x.ctx.localAddress);
  else {
    const direct = x.c.networks.filter((n) => !n.policy.relayed);
    const withPool = direct.filter((n) => n.poolFirst !== undefined);
    net = direct.length === 1 ? direct[0] : withPool.length === 1 ? withPool[0] : undefined;
  }
  if (net === undefined) {
    if (r === undefined && !x.c.networks.some((n) => n.poolFirst !== undefined)) {
      return ignore(x, IgnoreReason.UnknownClient, "no reservation for this MAC and no pool");
    }
    return ignore(x, IgnoreReason.NoNetwork, x.f.relayed ? `no network contains ${relayLinkAddress(x)} (giaddr ${x.req.giaddr})` : "cannot tell the client's network");
  }
  // A broadcast that reached us directly comes from a directly attached link;
  // a client of a relayed network only talks to us directly once it has an
  // address (RENEWING unicasts to the server).
  if (!x.f.relayed && x.req.ciaddr === ZERO_ADDRESS && net.policy.relayed) {
    return ignore(x, IgnoreReason.NoNetwork, `${r?.clientName ?? "the client"} belongs to relayed network ${net.policy.name} but the request came without a relay`);
  }
  if (r !== undefined && x.c.reservationNetwork.get(r) !== net) {
    return ignore(x, IgnoreReason.NoNetwork, `${r.clientName}'s address ${r.ip} is not on network ${net.policy.name}, where the request came from`);
  }
  if (r === undefined && net.poolFirst === undefined) {
    return ignore(x, IgnoreReason.UnknownClient, `no reservation for this MAC and network ${net.policy.name} has no pool`);
  }
  return { r, net };
}

function isDecision(v: Client | DhcpDecision): v is DhcpDecision {
  return "kind" in v;
}

function leaseSecondsFor(x: Exchange, cl: Client): number {
  // Reservations keep the configured time: the loader's requested 300 s must never shorten it.
  return cl.r !== undefined ? x.c.policy.reservationLeaseSeconds : cl.net.policy.poolLeaseSeconds;
}

/** OFFER or ACK carrying `ip`. */
function grant(x: Exchange, cl: Client, type: MessageType, ip: string, writes: readonly LeaseWrite[]): DhcpDecision {
  const boot = chooseBoot(x.c.policy, cl.r, x.f, cl.net.policy.serverAddress);
  const seconds = leaseSecondsFor(x, cl);
  const options = configOptions(x, type, cl.net, cl.r, seconds, boot);
  const ciaddr = type === MessageType.Ack ? x.req.ciaddr : ZERO_ADDRESS;
  return reply(x, {
    header: { type, yiaddr: ip, siaddr: boot ? x.c.policy.nextServer : ZERO_ADDRESS, ciaddr, file: fileField(boot), sname: "" },
    options,
    serverAddress: cl.net.policy.serverAddress,
    leaseWrites: writes,
    event: event(x, type === MessageType.Offer ? "dhcp.offer" : "dhcp.ack", ip, {
      client: cl.r?.clientName, network: cl.net.policy.name, bootFile: boot?.file, boot: boot?.why,
      leaseSeconds: seconds, freebsdLoader: x.f.freebsdLoader, ipxe: x.f.ipxe, httpBoot: x.f.httpClient, vendorClass: x.f.vendorClass,
    }),
  });
}

function poolLease(x: Exchange, cl: Client, ip: string, state: DhcpLease["state"], ms: number): DhcpLease {
  return {
    ip, mac: x.f.mac, network: cl.net.policy.name, state, startMs: x.ctx.nowMs, expiresMs: x.ctx.nowMs + ms,
    clientId: x.f.clientId, hostName: getOption(x.req.options, DhcpOption.HostName),
  };
}

/** Removes the client's other leases on this network, so it never holds two. */
function dropOthers(x: Exchange, cl: Client, ip: string): LeaseWrite[] {
  return x.ctx.leases.leasesByMac(x.f.mac)
    .filter((l) => l.network === cl.net.policy.name && l.ip !== ip)
    .map((l) => ({ kind: "removeLease", ip: l.ip }));
}

function discover(x: Exchange): DhcpDecision {
  const cl = locate(x);
  if (isDecision(cl)) return cl;
  if (cl.r !== undefined) return grant(x, cl, MessageType.Offer, cl.r.ip, []);
  const ip = allocate(x.c, cl.net, x.f.mac, x.f.requestedIp, x.ctx.leases, x.ctx.nowMs);
  if (ip === undefined) return ignore(x, IgnoreReason.PoolExhausted, `no free address in ${cl.net.policy.name}'s pool`);
  const held = x.ctx.leases.leaseByIp(ip);
  // A client that already holds a bound lease keeps it; otherwise hold the address while the client decides.
  const writes: LeaseWrite[] = isLive(held, x.ctx.nowMs) && held.state === "bound" && held.mac === x.f.mac
    ? []
    : [...dropOthers(x, cl, ip), { kind: "commitLease", lease: poolLease(x, cl, ip, "offered", x.c.offerHoldMs) }];
  return grant(x, cl, MessageType.Offer, ip, writes);
}

/** The address this client may have on its network right now, if any (`asked`, when it holds that one). */
function entitled(x: Exchange, cl: Client, asked: string | undefined): string | undefined {
  if (cl.r !== undefined) return cl.r.ip;
  const l = leaseOf(x.ctx.leases, x.f.mac, cl.net, asked);
  if (l === undefined || !inPool(cl.net, l.ip)) return undefined;
  // An expired lease may be renewed as long as nobody else took the address.
  const holder = x.ctx.leases.leaseByIp(l.ip);
  if (holder !== undefined && holder.mac !== x.f.mac && isLive(holder, x.ctx.nowMs)) return undefined;
  if (x.ctx.leases.isBadAddress(l.ip, x.ctx.nowMs)) return undefined;
  return l.ip;
}

function ack(x: Exchange, cl: Client, ip: string): DhcpDecision {
  const writes: LeaseWrite[] = cl.r !== undefined
    ? []
    : [...dropOthers(x, cl, ip), { kind: "commitLease", lease: poolLease(x, cl, ip, "bound", cl.net.policy.poolLeaseSeconds * 1000) }];
  return grant(x, cl, MessageType.Ack, ip, writes);
}

/** RFC 2131 4.3.2: the client's state follows from server identifier, requested address and ciaddr. */
function request(x: Exchange): DhcpDecision {
  const { serverId, requestedIp } = x.f;
  if (serverId !== undefined) {
    // SELECTING: answer only if the client chose us.
    if (!x.c.serverAddresses.has(serverId)) return otherServer(x, serverId);
    const cl = locate(x);
    if (isDecision(cl)) return cl;
    const want = requestedIp ?? (x.req.ciaddr !== ZERO_ADDRESS ? x.req.ciaddr : undefined);
    const ip = entitled(x, cl, want);
    if (want === undefined) return nak(x, cl.net, "no requested address");
    if (ip !== want) return nak(x, cl.net, `requested ${want} is not this client's address`);
    return ack(x, cl, ip);
  }
  if (requestedIp !== undefined && x.req.ciaddr === ZERO_ADDRESS) {
    // INIT-REBOOT: NAK a wrong address or wrong network; stay silent for clients we know nothing about.
    const cl = locate(x);
    if (isDecision(cl)) return cl;
    const ip = entitled(x, cl, requestedIp);
    if (networkContaining(x.c, requestedIp) !== cl.net) return nak(x, cl.net, `${requestedIp} is not on network ${cl.net.policy.name}`);
    if (ip === undefined) return ignore(x, IgnoreReason.NotOurLease, `no lease for ${requestedIp} on record (RFC 2131 4.3.2: remain silent)`);
    if (ip !== requestedIp) return nak(x, cl.net, `requested ${requestedIp} is not this client's address`);
    return ack(x, cl, ip);
  }
  if (x.req.ciaddr !== ZERO_ADDRESS) {
    // RENEWING (unicast to us) or REBINDING (broadcast): the lease must be the one we know.
    const cl = locate(x);
    if (isDecision(cl)) return cl;
    const ip = entitled(x, cl, x.req.ciaddr);
    if (ip === undefined) return ignore(x, IgnoreReason.NotOurLease, `no lease for ${x.req.ciaddr} on record`);
    if (ip !== x.req.ciaddr) return nak(x, cl.net, `${x.req.ciaddr} is not this client's address`);
    return ack(x, cl, ip);
  }
  return ignore(x, IgnoreReason.Malformed, "REQUEST without server identifier, requested address or ciaddr");
}

/** The client took another server's offer: release our pool hold, if any, and keep quiet. */
function otherServer(x: Exchange, serverId: string): DhcpDecision {
  const held = x.ctx.leases.leasesByMac(x.f.mac).filter((l) => l.state === "offered");
  if (held.length === 0) return ignore(x, IgnoreReason.OtherServer, `the client chose server ${serverId}`);
  return {
    kind: "handled",
    leaseWrites: held.map((l) => ({ kind: "removeLease", ip: l.ip })),
    event: event(x, "dhcp.other-server", held[0]!.ip, { serverId }),
  };
}

/** RFC 2131 4.3.3: the client found the address in use; mark it bad and drop the lease. */
function decline(x: Exchange): DhcpDecision {
  if (x.f.serverId !== undefined && !x.c.serverAddresses.has(x.f.serverId)) return ignore(x, IgnoreReason.OtherServer, `DECLINE for server ${x.f.serverId}`);
  const ip = x.f.requestedIp;
  if (ip === undefined) return ignore(x, IgnoreReason.Malformed, "DECLINE without requested address (option 50)");
  const net = networkContaining(x.c, ip);
  if (net === undefined) return ignore(x, IgnoreReason.NoNetwork, `declined ${ip} is on no network of ours`);
  const writes: LeaseWrite[] = [{
    kind: "markBadAddress",
    bad: { ip, mac: x.f.mac, network: net.policy.name, sinceMs: x.ctx.nowMs, untilMs: x.ctx.nowMs + x.c.declineHoldMs },
  }];
  const held = x.ctx.leases.leaseByIp(ip);
  if (held !== undefined && held.mac === x.f.mac) writes.push({ kind: "removeLease", ip });
  const r = x.c.byMac.get(x.f.mac);
  return { kind: "handled", leaseWrites: writes, event: event(x, "dhcp.decline", ip, { client: r?.clientName, network: net.policy.name, reserved: r?.ip === ip }) };
}

/** RFC 2131 4.3.4: the client gives its address back. */
function release(x: Exchange): DhcpDecision {
  if (x.f.serverId !== undefined && !x.c.serverAddresses.has(x.f.serverId)) return ignore(x, IgnoreReason.OtherServer, `RELEASE for server ${x.f.serverId}`);
  const ip = x.req.ciaddr;
  const held = x.ctx.leases.leaseByIp(ip);
  const writes: LeaseWrite[] = held !== undefined && held.mac === x.f.mac ? [{ kind: "removeLease", ip }] : [];
  const r = x.c.byMac.get(x.f.mac);
  if (writes.length === 0 && r === undefined) return ignore(x, IgnoreReason.NotOurLease, `no lease for ${ip} held by this MAC`);
  return { kind: "handled", leaseWrites: writes, event: event(x, "dhcp.release", ip, { client: r?.clientName }) };
}

/** RFC 2131 4.3.5: configuration only, no address, no lease time; answered to ciaddr. */
function inform(x: Exchange): DhcpDecision {
  if (x.req.ciaddr === ZERO_ADDRESS) return ignore(x, IgnoreReason.Malformed, "INFORM without ciaddr");
  const cl = locate(x);
  if (isDecision(cl)) return cl;
  if (networkContaining(x.c, x.req.ciaddr) !== cl.net) return ignore(x, IgnoreReason.NoNetwork, `ciaddr ${x.req.ciaddr} is not on network ${cl.net.policy.name}`);
  const boot = chooseBoot(x.c.policy, cl.r, x.f, cl.net.policy.serverAddress);
  return reply(x, {
    header: { type: MessageType.Ack, yiaddr: ZERO_ADDRESS, siaddr: boot ? x.c.policy.nextServer : ZERO_ADDRESS, ciaddr: x.req.ciaddr, file: fileField(boot), sname: "" },
    options: configOptions(x, MessageType.Ack, cl.net, cl.r, undefined, boot),
    serverAddress: cl.net.policy.serverAddress,
    leaseWrites: [],
    event: event(x, "dhcp.inform", x.req.ciaddr, { client: cl.r?.clientName, network: cl.net.policy.name }),
  });
}

export function respondFull(x: Exchange): DhcpDecision {
  switch (x.type) {
    case MessageType.Discover:
      return discover(x);
    case MessageType.Request:
      return request(x);
    case MessageType.Decline:
      return decline(x);
    case MessageType.Release:
      return release(x);
    case MessageType.Inform:
      return inform(x);
    default:
      return ignore(x, IgnoreReason.UnsupportedMessageType, `a server does not answer message type ${x.type}`);
  }
}
