import { test } from "node:test";
import assert from "node:assert/strict";
import { DhcpOption as O, MessageType, decode, getOption, type DhcpPacket } from "../../src/wire/dhcp4/index.js";
import { createResponder, IgnoreReason, type DhcpDecision, type ReplyDecision, type DhcpPolicy } from "../../src/protocol/dhcp/index.js";
import {
  MemoryLeases, SITE, ctxFor, plainRequest, poolPolicy, pxeRequest, sitePolicy, requestBytes,
} from "../support/dhcp-builders.js";

const NOW = 1_700_000_000_000;

function run(policy: DhcpPolicy, req: DhcpPacket, leases = new MemoryLeases(), nowMs = NOW, over = {}): DhcpDecision {
  return createResponder(policy).respondToBytes(requestBytes(req), ctxFor(leases, nowMs, over));
}

function asReply(d: DhcpDecision): ReplyDecision & { p: DhcpPacket } {
  assert.equal(d.kind, "reply", d.kind === "ignore" ? `ignored: ${d.reason}: ${d.detail}` : d.kind);
  const r = d as ReplyDecision;
  const p = decode(r.bytes);
  return { ...r, p };
}

function type(p: DhcpPacket): number | undefined {
  return getOption(p.options, O.DhcpMessageType);
}

function assertIgnored(d: DhcpDecision, reason: string): void {
  assert.equal(d.kind, "ignore");
  assert.equal(d.kind === "ignore" && d.reason, reason);
}

test("DISCOVER from a reserved MAC gets an OFFER with the full configuration, broadcast", () => {
  const r = asReply(run(sitePolicy(), plainRequest({ mac: SITE.c1.macs[0], type: MessageType.Discover })));
  assert.equal(type(r.p), MessageType.Offer);
  assert.equal(r.p.yiaddr, SITE.c1.ip);
  assert.equal(r.p.siaddr, SITE.tftp);
  assert.equal(r.p.file, "pxeboot");
  assert.equal(getOption(r.p.options, O.ServerIdentifier), SITE.serverLan);
  assert.equal(getOption(r.p.options, O.SubnetMask), "255.255.255.0");
  assert.deepEqual(getOption(r.p.options, O.Router), [SITE.gatewayLan]);
  assert.deepEqual(getOption(r.p.options, O.DomainNameServer), ["198.18.10.53"]);
  assert.equal(getOption(r.p.options, O.DomainName), "example.test");
  assert.equal(getOption(r.p.options, O.HostName), SITE.c1.fqdn);
  assert.equal(getOption(r.p.options, O.RootPath), SITE.c1.rootPath);
  assert.equal(getOption(r.p.options, O.IpAddressLeaseTime), 86400);
  assert.equal(getOption(r.p.options, O.RenewalTime), 43200);
  assert.equal(getOption(r.p.options, O.RebindingTime), 75600);
  assert.deepEqual(r.destination, { address: "255.255.255.255", port: 68, broadcast: true });
  assert.equal(r.sourceAddress, SITE.serverLan);
  assert.equal(r.sourcePort, 67);
  assert.deepEqual(r.leaseWrites, []);
  assert.equal(r.event.kind, "dhcp.offer");
  assert.equal(r.p.xid, 0x0badf00d);
  assert.ok(r.bytes.length >= 300);
});

test("the second MAC of a client gets the same address", () => {
  const a = asReply(run(sitePolicy(), plainRequest({ mac: SITE.c1.macs[0], type: MessageType.Discover })));
  const b = asReply(run(sitePolicy(), plainRequest({ mac: SITE.c1.macs[1].toUpperCase(), type: MessageType.Discover })));
  assert.equal(a.p.yiaddr, b.p.yiaddr);
});

test("an unknown MAC gets nothing without a pool, with a reason", () => {
  assertIgnored(run(sitePolicy(), plainRequest({ mac: SITE.unknownMac, type: MessageType.Discover })), IgnoreReason.UnknownClient);
  const d = run(sitePolicy(), plainRequest({ mac: SITE.unknownMac, type: MessageType.Discover }));
  assert.equal(d.kind === "ignore" && d.mac, SITE.unknownMac);
});

test("REQUEST (SELECTING) for our offer gets an ACK; for another server is ignored", () => {
  const ok = asReply(run(sitePolicy(), plainRequest({ mac: SITE.c1.macs[0], type: MessageType.Request, serverId: SITE.serverLan, requestedIp: SITE.c1.ip })));
  assert.equal(type(ok.p), MessageType.Ack);
  assert.equal(ok.p.yiaddr, SITE.c1.ip);
  assert.equal(ok.event.kind, "dhcp.ack");
  assertIgnored(run(sitePolicy(), plainRequest({ mac: SITE.c1.macs[0], type: MessageType.Request, serverId: "198.18.10.99", requestedIp: SITE.c1.ip })), IgnoreReason.OtherServer);
});

test("REQUEST (SELECTING) for a wrong address gets a NAK, broadcast, with only 53, 54, 56", () => {
  const r = asReply(run(sitePolicy(), plainRequest({ mac: SITE.c1.macs[0], type: MessageType.Request, serverId: SITE.serverLan, requestedIp: "198.18.10.77" })));
  assert.equal(type(r.p), MessageType.Nak);
  assert.equal(r.p.yiaddr, "0.0.0.0");
  assert.equal(r.p.file, "");
  assert.deepEqual([...r.p.options.keys()], [O.DhcpMessageType, O.ServerIdentifier, O.Message]);
  assert.deepEqual(r.destination, { address: "255.255.255.255", port: 68, broadcast: true });
});

test("INIT-REBOOT: right address ACK, wrong address NAK, wrong network NAK, unknown silent", () => {
  const mac = SITE.c1.macs[0];
  assert.equal(type(asReply(run(sitePolicy(), plainRequest({ mac, type: MessageType.Request, requestedIp: SITE.c1.ip }))).p), MessageType.Ack);
  assert.equal(type(asReply(run(sitePolicy(), plainRequest({ mac, type: MessageType.Request, requestedIp: "198.18.10.50" }))).p), MessageType.Nak);
  assert.equal(type(asReply(run(sitePolicy(), plainRequest({ mac, type: MessageType.Request, requestedIp: "10.1.2.3" }))).p), MessageType.Nak);
  assertIgnored(run(poolPolicy(), plainRequest({ mac: SITE.unknownMac, type: MessageType.Request, requestedIp: "198.18.10.100" })), IgnoreReason.NotOurLease);
});

test("RENEWING is answered by unicast to ciaddr, with ciaddr copied", () => {
  const r = asReply(run(sitePolicy(), plainRequest({ mac: SITE.c1.macs[0], type: MessageType.Request, ciaddr: SITE.c1.ip }), new MemoryLeases(), NOW, { source: { address: SITE.c1.ip, port: 68 }, localAddress: SITE.serverLan }));
  assert.equal(type(r.p), MessageType.Ack);
  assert.equal(r.p.ciaddr, SITE.c1.ip);
  assert.deepEqual(r.destination, { address: SITE.c1.ip, port: 68, broadcast: false });
});

test("REBINDING with an address that is not the client's gets a NAK, broadcast", () => {
  const r = asReply(run(sitePolicy(), plainRequest({ mac: SITE.c1.macs[0], type: MessageType.Request, ciaddr: "198.18.10.60" })));
  assert.equal(type(r.p), MessageType.Nak);
  assert.equal(r.destination.address, "255.255.255.255");
});

test("relayed requests are answered to giaddr:67 with option 82 echoed last; a relayed NAK sets the broadcast bit", () => {
  const relayInfo = Uint8Array.of(1, 4, 0, 1, 2, 3, 2, 2, 0xab, 0xcd);
  const r = asReply(run(sitePolicy(), plainRequest({ mac: SITE.c2.macs[0], type: MessageType.Discover, giaddr: SITE.relayAgent, relayInfo })));
  assert.equal(r.p.yiaddr, SITE.c2.ip);
  assert.equal(r.p.giaddr, SITE.relayAgent);
  assert.deepEqual(r.destination, { address: SITE.relayAgent, port: 67, broadcast: false });
  assert.equal(r.sourceAddress, SITE.serverRelayed);
  assert.deepEqual(r.p.options.get(O.RelayAgentInformation), relayInfo);
  assert.equal([...r.p.options.keys()].at(-1), O.RelayAgentInformation);
  assert.equal(getOption(r.p.options, O.DomainName), "far.example.test");
  const nak = asReply(run(sitePolicy(), plainRequest({ mac: SITE.c2.macs[0], type: MessageType.Request, giaddr: SITE.relayAgent, requestedIp: "198.18.20.99" })));
  assert.equal(type(nak.p), MessageType.Nak);
  assert.equal(nak.p.flags & 0x8000, 0x8000);
  assert.deepEqual(nak.destination, { address: SITE.relayAgent, port: 67, broadcast: false });
});

test("a reserved client seen through the wrong network's relay is ignored", () => {
  assertIgnored(run(sitePolicy(), plainRequest({ mac: SITE.c1.macs[0], type: MessageType.Discover, giaddr: SITE.relayAgent })), IgnoreReason.NoNetwork);
  assertIgnored(run(sitePolicy(), plainRequest({ mac: SITE.c1.macs[0], type: MessageType.Discover, giaddr: "10.9.9.9" })), IgnoreReason.NoNetwork);
});

test("pool: DISCOVER offers the first free address and holds it; REQUEST binds it; writes come before the reply", () => {
  const leases = new MemoryLeases();
  const policy = poolPolicy();
  const mac = SITE.unknownMac;
  const offer = asReply(run(policy, plainRequest({ mac, type: MessageType.Discover }), leases));
  assert.equal(offer.p.yiaddr, "198.18.10.100");
  assert.equal(offer.leaseWrites.length, 1);
  const w = offer.leaseWrites[0]!;
  assert.ok(w.kind === "commitLease" && w.lease.state === "offered" && w.lease.expiresMs === NOW + 60_000 && w.lease.network === "lan");
  assert.equal(getOption(offer.p.options, O.IpAddressLeaseTime), 3600);
  assert.equal(getOption(offer.p.options, O.HostName), undefined);
  leases.apply(offer.leaseWrites);
  // A second client gets the next address.
  const other = asReply(run(policy, plainRequest({ mac: "02:00:00:00:99:98", type: MessageType.Discover }), leases));
  assert.equal(other.p.yiaddr, "198.18.10.101");
  const ack = asReply(run(policy, plainRequest({ mac, type: MessageType.Request, serverId: SITE.serverLan, requestedIp: "198.18.10.100" }), leases, NOW + 1000));
  assert.equal(type(ack.p), MessageType.Ack);
  const bound = ack.leaseWrites[0]!;
  assert.ok(bound.kind === "commitLease" && bound.lease.state === "bound" && bound.lease.expiresMs === NOW + 1000 + 3_600_000);
  assert.equal(bound.kind === "commitLease" && bound.lease.clientId, "01020000009999");
});

test("pool: never hands out reserved, server, gateway, declined or taken addresses; exhaustion is a reason", () => {
  const policy = poolPolicy("198.18.10.20", "198.18.10.22"); // .21 is c1's reservation
  const leases = new MemoryLeases();
  leases.apply([{ kind: "markBadAddress", bad: { ip: "198.18.10.20", mac: "x", network: "lan", sinceMs: NOW, untilMs: NOW + 10_000 } }]);
  const r = asReply(run(policy, plainRequest({ mac: SITE.unknownMac, type: MessageType.Discover }), leases));
  assert.equal(r.p.yiaddr, "198.18.10.22");
  leases.apply(r.leaseWrites);
  assertIgnored(run(policy, plainRequest({ mac: "02:00:00:00:99:98", type: MessageType.Discover }), leases), IgnoreReason.PoolExhausted);
  // After the bad mark and the offer hold expire, both come back.
  const later = asReply(run(policy, plainRequest({ mac: "02:00:00:00:99:98", type: MessageType.Discover }), leases, NOW + 120_000));
  assert.equal(later.p.yiaddr, "198.18.10.20");
});

test("pool: a returning client gets its old address; a requested free address is honoured", () => {
  const leases = new MemoryLeases();
  leases.apply([{ kind: "commitLease", lease: { ip: "198.18.10.102", mac: SITE.unknownMac, network: "lan", state: "bound", startMs: 0, expiresMs: NOW - 1 } }]);
  assert.equal(asReply(run(poolPolicy(), plainRequest({ mac: SITE.unknownMac, type: MessageType.Discover }), leases)).p.yiaddr, "198.18.10.102");
  assert.equal(asReply(run(poolPolicy(), plainRequest({ mac: "02:00:00:00:99:97", type: MessageType.Discover, requestedIp: "198.18.10.103" }), leases)).p.yiaddr, "198.18.10.103");
});

test("pool: a client holding two offers (two servers sharing a store) is ACKed for the one it requests, and its other hold goes", () => {
  const leases = new MemoryLeases();
  const mac = SITE.unknownMac;
  const hold = (ip: string) => ({ kind: "commitLease" as const, lease: { ip, mac, network: "lan", state: "offered" as const, startMs: NOW, expiresMs: NOW + 60_000 } });
  leases.apply([hold("198.18.10.100"), hold("198.18.10.102")]);
  for (const req of [
    plainRequest({ mac, type: MessageType.Request, serverId: SITE.serverLan, requestedIp: "198.18.10.102" }), // SELECTING
    plainRequest({ mac, type: MessageType.Request, requestedIp: "198.18.10.102" }), // INIT-REBOOT
  ]) {
    const ack = asReply(run(poolPolicy(), req, leases, NOW + 10));
    assert.equal(type(ack.p), MessageType.Ack);
    assert.equal(ack.p.yiaddr, "198.18.10.102");
    assert.deepEqual(ack.leaseWrites.map((w) => (w.kind === "removeLease" ? `-${w.ip}` : w.kind === "commitLease" ? `+${w.lease.ip}` : w.kind)), ["-198.18.10.100", "+198.18.10.102"]);
  }
});

test("pool: the store's freeAddress fast path is used and checked", () => {
  const leases = new MemoryLeases();
  const fast = Object.assign(leases, { freeAddress: (_f: string, _l: string, _n: number, usable: (ip: string) => boolean) => (usable("198.18.10.103") ? "198.18.10.103" : undefined) });
  assert.equal(asReply(run(poolPolicy(), plainRequest({ mac: SITE.unknownMac, type: MessageType.Discover }), fast)).p.yiaddr, "198.18.10.103");
});

test("retransmissions are answered byte for byte the same (pool and reservation)", () => {
  for (const policy of [sitePolicy(), poolPolicy()]) {
    const leases = new MemoryLeases();
    const mac = policy.networks[0]!.pool ? SITE.unknownMac : SITE.c1.macs[0];
    const first = asReply(run(policy, plainRequest({ mac, type: MessageType.Discover }), leases));
    leases.apply(first.leaseWrites);
    const again = asReply(run(policy, plainRequest({ mac, type: MessageType.Discover }), leases, NOW + 4000));
    assert.deepEqual(again.bytes, first.bytes);
    const req = plainRequest({ mac, type: MessageType.Request, serverId: SITE.serverLan, requestedIp: first.p.yiaddr });
    const ack1 = asReply(run(policy, req, leases, NOW + 5000));
    leases.apply(ack1.leaseWrites);
    const ack2 = asReply(run(policy, req, leases, NOW + 9000));
    assert.deepEqual(ack2.bytes, ack1.bytes);
    assert.equal(ack2.transactionKey, ack1.transactionKey);
  }
});

test("DECLINE marks the address bad and drops the lease; RELEASE drops the lease; both send nothing", () => {
  const leases = new MemoryLeases();
  const mac = SITE.unknownMac;
  leases.apply([{ kind: "commitLease", lease: { ip: "198.18.10.100", mac, network: "lan", state: "bound", startMs: NOW, expiresMs: NOW + 3_600_000 } }]);
  const d = run(poolPolicy(), plainRequest({ mac, type: MessageType.Decline, serverId: SITE.serverLan, requestedIp: "198.18.10.100" }), leases);
  assert.equal(d.kind, "handled");
  assert.ok(d.kind === "handled");
  assert.deepEqual(d.leaseWrites.map((w) => w.kind), ["markBadAddress", "removeLease"]);
  const bad = d.leaseWrites[0]!;
  assert.ok(bad.kind === "markBadAddress" && bad.bad.untilMs === NOW + 3_600_000);
  assert.equal(d.event.kind, "dhcp.decline");
  leases.apply(d.leaseWrites);
  assert.equal(asReply(run(poolPolicy(), plainRequest({ mac, type: MessageType.Discover }), leases)).p.yiaddr, "198.18.10.101");

  const l2 = new MemoryLeases();
  l2.apply([{ kind: "commitLease", lease: { ip: "198.18.10.101", mac, network: "lan", state: "bound", startMs: NOW, expiresMs: NOW + 3_600_000 } }]);
  const rel = run(poolPolicy(), plainRequest({ mac, type: MessageType.Release, serverId: SITE.serverLan, ciaddr: "198.18.10.101" }), l2);
  assert.ok(rel.kind === "handled");
  assert.deepEqual(rel.leaseWrites, [{ kind: "removeLease", ip: "198.18.10.101" }]);
  assertIgnored(run(poolPolicy(), plainRequest({ mac, type: MessageType.Release, serverId: "198.18.10.9", ciaddr: "198.18.10.101" }), l2), IgnoreReason.OtherServer);
  assertIgnored(run(poolPolicy(), plainRequest({ mac: "02:00:00:00:99:90", type: MessageType.Release, serverId: SITE.serverLan, ciaddr: "198.18.10.101" }), l2), IgnoreReason.NotOurLease);
});

test("INFORM gets an ACK without address or lease time, unicast to ciaddr", () => {
  const r = asReply(run(sitePolicy(), plainRequest({ mac: SITE.c1.macs[0], type: MessageType.Inform, ciaddr: SITE.c1.ip })));
  assert.equal(type(r.p), MessageType.Ack);
  assert.equal(r.p.yiaddr, "0.0.0.0");
  assert.equal(r.p.ciaddr, SITE.c1.ip);
  assert.equal(r.p.options.has(O.IpAddressLeaseTime), false);
  assert.equal(r.p.options.has(O.RenewalTime), false);
  assert.equal(getOption(r.p.options, O.HostName), SITE.c1.fqdn);
  assert.deepEqual(r.destination, { address: SITE.c1.ip, port: 68, broadcast: false });
  assert.equal(r.event.kind, "dhcp.inform");
});

test("requests that are not ours to answer are ignored with reasons", () => {
  const offer = { ...plainRequest({ mac: SITE.c1.macs[0], type: MessageType.Offer }) };
  assertIgnored(run(sitePolicy(), offer), IgnoreReason.UnsupportedMessageType);
  assertIgnored(run(sitePolicy(), { ...offer, op: 2 }), IgnoreReason.NotARequest);
  const bootp = plainRequest({ mac: SITE.c1.macs[0], type: MessageType.Discover });
  const noType = new Map(bootp.options);
  noType.delete(O.DhcpMessageType);
  assertIgnored(run(sitePolicy(), { ...bootp, options: noType }), IgnoreReason.NoMessageType);
  const responder = createResponder(sitePolicy());
  assertIgnored(responder.respondToBytes(new Uint8Array(12), ctxFor(new MemoryLeases())), IgnoreReason.Malformed);
  assertIgnored(run(sitePolicy(), plainRequest({ mac: SITE.c1.macs[0], type: MessageType.Request })), IgnoreReason.Malformed);
});

test("boot file by architecture; per-client overrides; iPXE gets the script and 175.176 = 1", () => {
  const policy: DhcpPolicy = {
    ...sitePolicy(),
    reservations: sitePolicy().reservations.map((r) => (r.clientName === "c2" ? { ...r, bootFiles: new Map([[7, "custom.efi"]]), ipxeScript: "c2.ipxe" } : r)),
  };
  const file = (req: DhcpPacket): string => asReply(run(policy, req)).p.file;
  const c1 = SITE.c1.macs[0];
  assert.equal(file(pxeRequest({ mac: c1, arch: 0 })), "pxeboot");
  assert.equal(file(pxeRequest({ mac: c1, arch: 7 })), "loader.efi");
  assert.equal(file(pxeRequest({ mac: c1, arch: 9 })), "loader.efi");
  assert.equal(file(pxeRequest({ mac: c1, arch: 11 })), "loader-arm64.efi");
  assert.equal(asReply(run(policy, pxeRequest({ mac: c1, arch: 6 }))).p.siaddr, "0.0.0.0", "no boot file for arch 6: no next-server");
  const g = SITE.relayAgent;
  assert.equal(file(pxeRequest({ mac: SITE.c2.macs[0], arch: 7, giaddr: g })), "custom.efi");
  assert.equal(file(pxeRequest({ mac: SITE.c2.macs[0], arch: 0, giaddr: g })), "pxeboot");
  const ipxe = asReply(run(policy, pxeRequest({ mac: c1, arch: 0, ipxe: true })));
  assert.equal(ipxe.p.file, "boot.ipxe");
  assert.deepEqual([...getOption(ipxe.p.options, O.IpxeEncapsulated)!.get(176)!], [1]);
  assert.equal(file(pxeRequest({ mac: SITE.c2.macs[0], arch: 7, ipxe: true, giaddr: g })), "c2.ipxe");
  // Asked-for 66/67 are sent too; PXE firmware in full mode gets no proxy-style option 43.
  const pxe = asReply(run(policy, pxeRequest({ mac: c1, arch: 7 })));
  assert.equal(getOption(pxe.p.options, O.BootFileName), "loader.efi");
  assert.equal(getOption(pxe.p.options, O.TftpServerName), SITE.tftp);
  assert.equal(pxe.p.options.has(O.VendorSpecific), false);
  assert.equal(pxe.p.options.has(O.IpxeEncapsulated), false);
});

test("option 57: replies never exceed the client's limit; file moves to option 67 when overloaded", () => {
  const long = "/srv/roots/" + "x".repeat(240);
  const policy: DhcpPolicy = {
    ...sitePolicy(),
    reservations: [{ clientName: "big", hostName: "h".repeat(100) + ".example.test", ip: "198.18.10.30", macs: ["02:00:00:00:10:30"], rootPath: long }],
  };
  const r = asReply(run(policy, pxeRequest({ mac: "02:00:00:00:10:30", arch: 7, maxMessageSize: 576 })));
  assert.ok(r.bytes.length <= 548, `${r.bytes.length} bytes`);
  assert.equal(getOption(r.p.options, O.RootPath), long);
  assert.equal(getOption(r.p.options, O.BootFileName), "loader.efi");
  assert.equal(getOption(r.p.options, O.HostName), "h".repeat(100) + ".example.test");
  // A 1472 limit needs no overload.
  const roomy = asReply(run(policy, pxeRequest({ mac: "02:00:00:00:10:30", arch: 7 })));
  assert.equal(roomy.p.file, "loader.efi");
  assert.ok(roomy.bytes.length > 548 && roomy.bytes.length <= 1472);
  // An illegal 57 (< 576) is treated as 576.
  assert.ok(asReply(run(policy, pxeRequest({ mac: "02:00:00:00:10:30", arch: 7, maxMessageSize: 300 }))).bytes.length <= 548);
});

test("ambiguous direct networks: an unknown client with a pool on one network is placed there", () => {
  const base = poolPolicy();
  const extra = { ...base.networks[0]!, name: "lan2", prefix: { network: "198.18.30.0", length: 24 }, serverAddress: "198.18.30.1", pool: undefined, gateway: undefined };
  const policy = { ...base, networks: [...base.networks, extra] };
  assert.equal(asReply(run(policy, plainRequest({ mac: SITE.unknownMac, type: MessageType.Discover }))).p.yiaddr, "198.18.10.100");
  const both = { ...policy, networks: policy.networks.map((n) => (n.name === "lan2" ? { ...n, pool: { first: "198.18.30.100", last: "198.18.30.110" } } : n)) };
  assertIgnored(run(both, plainRequest({ mac: SITE.unknownMac, type: MessageType.Discover })), IgnoreReason.NoNetwork);
  // The unicast destination tells it apart.
  assert.equal(asReply(run(both, plainRequest({ mac: SITE.unknownMac, type: MessageType.Discover }), new MemoryLeases(), NOW, { localAddress: "198.18.30.1" })).p.yiaddr, "198.18.30.100");
});

test("createResponder rejects a MAC shared by two clients, a pool outside its network, values the wire cannot carry", () => {
  const p = sitePolicy();
  assert.throws(() => createResponder({ ...p, reservations: [...p.reservations, { clientName: "dup", hostName: "d", ip: "198.18.10.40", macs: [SITE.c1.macs[0]] }] }), /LB_ERR_DUPLICATE|belongs to/);
  assert.throws(() => createResponder(poolPolicy("198.18.11.1", "198.18.11.5")), /pool/);
  assert.throws(() => createResponder({ ...p, reservations: [{ ...p.reservations[0]!, rootPath: "/" + "r".repeat(300) }] }), /LB_ERR_UNSAFE_VALUE|root-path/);
  assert.throws(() => createResponder({ ...p, reservations: [{ ...p.reservations[0]!, hostName: "h\u0100st" }] }), /latin1/);
  assert.deepEqual(createResponder(p).serverAddresses, [SITE.serverLan]);
});

test("a relay's link selection (82.5, RFC 3527) or subnet selection (118, RFC 3011) names the client's network", () => {
  const relayInfo = Uint8Array.of(5, 4, 198, 18, 20, 0);
  // The relay uses an address outside the client's network as giaddr.
  const r = asReply(run(sitePolicy(), plainRequest({ mac: SITE.c2.macs[0], type: MessageType.Discover, giaddr: "198.18.10.250", relayInfo })));
  assert.equal(r.p.yiaddr, SITE.c2.ip);
  assert.deepEqual(r.destination, { address: "198.18.10.250", port: 67, broadcast: false });
  const sel = plainRequest({ mac: SITE.c2.macs[0], type: MessageType.Discover, giaddr: "198.18.10.250" });
  const withSel = { ...sel, options: new Map([...sel.options, [O.SubnetSelection, Uint8Array.of(198, 18, 20, 0)]]) };
  assert.equal(asReply(run(sitePolicy(), withSel)).p.yiaddr, SITE.c2.ip);
  // Without it the same relay address puts c2 on the wrong network.
  assertIgnored(run(sitePolicy(), sel), IgnoreReason.NoNetwork);
});

test("a client reserved on a relayed network is answered through its relay, or directly only once it has an address", () => {
  assertIgnored(run(sitePolicy(), plainRequest({ mac: SITE.c2.macs[0], type: MessageType.Discover })), IgnoreReason.NoNetwork);
  const renew = asReply(run(sitePolicy(), plainRequest({ mac: SITE.c2.macs[0], type: MessageType.Request, ciaddr: SITE.c2.ip })));
  assert.equal(getOption(renew.p.options, O.DhcpMessageType), MessageType.Ack);
  assert.deepEqual(renew.destination, { address: SITE.c2.ip, port: 68, broadcast: false });
  assert.equal(renew.sourceAddress, SITE.serverRelayed);
});
