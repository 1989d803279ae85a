/** ProxyDHCP (PXE 2.1): boot information only, to PXE firmware only, on 67 and 4011. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { DhcpOption as O, MessageType, decode, getOption, type DhcpPacket } from "../../src/wire/dhcp4/index.js";
import { createResponder, IgnoreReason, type DhcpDecision, type DhcpPolicy, type ReplyDecision } from "../../src/protocol/dhcp/index.js";
import { MemoryLeases, SITE, UUID_97, ctxFor, plainRequest, pxeRequest, requestBytes, sitePolicy } from "../support/dhcp-builders.js";

function run(req: DhcpPacket, over: Partial<DhcpPolicy> = {}, ctx: Parameters<typeof ctxFor>[2] = {}): DhcpDecision {
  return createResponder(sitePolicy({ mode: "proxy", ...over })).respondToBytes(requestBytes(req), ctxFor(new MemoryLeases(), 1, ctx));
}

function reply(d: DhcpDecision): ReplyDecision & { p: DhcpPacket } {
  assert.equal(d.kind, "reply", d.kind === "ignore" ? d.detail : "");
  const r = d as ReplyDecision;
  return { ...r, p: decode(r.bytes) };
}

test("a PXE DISCOVER gets a proxy OFFER: no address, boot file, PXEClient, 43 discovery control 8, 97 echoed", () => {
  const r = reply(run(pxeRequest({ mac: SITE.c1.macs[0], arch: 7 })));
  assert.equal(getOption(r.p.options, O.DhcpMessageType), MessageType.Offer);
  assert.equal(r.p.yiaddr, "0.0.0.0");
  assert.equal(r.p.siaddr, SITE.tftp);
  assert.equal(r.p.file, "loader.efi");
  assert.equal(getOption(r.p.options, O.VendorClassIdentifier), "PXEClient");
  assert.deepEqual([...getOption(r.p.options, O.VendorSpecific)!.get(6)!], [8]);
  assert.deepEqual(r.p.options.get(O.ClientMachineId), UUID_97);
  assert.equal(r.p.options.has(O.IpAddressLeaseTime), false);
  assert.equal(r.p.options.has(O.SubnetMask), false);
  assert.equal(r.p.options.has(O.RootPath), false);
  assert.deepEqual(r.destination, { address: "255.255.255.255", port: 68, broadcast: true });
  assert.equal(r.sourcePort, 67);
  assert.equal(r.event.kind, "dhcp.proxy-offer");
});

test("the boot-server REQUEST on 4011 gets an ACK from 4011 to the client's source port", () => {
  const req = pxeRequest({ mac: SITE.c1.macs[0], arch: 0, type: MessageType.Request, ciaddr: SITE.c1.ip, serverId: SITE.serverLan });
  const r = reply(run(req, {}, { localPort: 4011, source: { address: SITE.c1.ip, port: 4011 } }));
  assert.equal(getOption(r.p.options, O.DhcpMessageType), MessageType.Ack);
  assert.equal(r.p.file, "pxeboot");
  assert.equal(r.p.ciaddr, SITE.c1.ip);
  assert.deepEqual(r.destination, { address: SITE.c1.ip, port: 4011, broadcast: false });
  assert.equal(r.sourcePort, 4011);
  assert.equal(r.sourceAddress, SITE.serverLan);
  const discover = run(pxeRequest({ mac: SITE.c1.macs[0], arch: 0 }), {}, { localPort: 4011, source: { address: SITE.c1.ip, port: 68 } });
  assert.equal(discover.kind === "ignore" && discover.reason, IgnoreReason.WrongPort);
});

test("iPXE through the proxy gets the script", () => {
  const r = reply(run(pxeRequest({ mac: SITE.c1.macs[0], arch: 0, ipxe: true })));
  assert.equal(r.p.file, "boot.ipxe");
});

test("proxy mode ignores non-PXE clients, the bare-PXEClient loader, unknown MACs (by default) and REQUESTs on 67", () => {
  const ignored = (d: DhcpDecision, reason: string): void => assert.equal(d.kind === "ignore" && d.reason, reason);
  ignored(run(plainRequest({ mac: SITE.c1.macs[0], type: MessageType.Discover })), IgnoreReason.NotPxeFirmware);
  ignored(run(pxeRequest({ mac: SITE.unknownMac, arch: 7 })), IgnoreReason.UnknownClient);
  ignored(run(pxeRequest({ mac: SITE.c1.macs[0], arch: 7, type: MessageType.Request, serverId: "198.18.10.250", requestedIp: SITE.c1.ip })), IgnoreReason.ProxyMessage);
  const open = reply(run(pxeRequest({ mac: SITE.unknownMac, arch: 7 }), { proxyAnswersUnknownClients: true }));
  assert.equal(open.p.file, "loader.efi");
});

test("proxy through a relay answers giaddr:67", () => {
  const r = reply(run(pxeRequest({ mac: SITE.c2.macs[0], arch: 7, giaddr: SITE.relayAgent })));
  assert.deepEqual(r.destination, { address: SITE.relayAgent, port: 67, broadcast: false });
});
