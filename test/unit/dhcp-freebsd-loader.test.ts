/**
 * The FreeBSD loader's own DHCP exchange (stand/libsa/bootp.c), in its three
 * known forms, against the responder: see docs/dhcp.md and
 * ../shared/design/freebsd-diskless.md section 1.2.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { DhcpOption as O, MessageType, decode, getOption, type DhcpPacket } from "../../src/wire/dhcp4/index.js";
import { createResponder, IgnoreReason, type DhcpDecision, type ReplyDecision } from "../../src/protocol/dhcp/index.js";
import {
  LOADER_PACKET_BYTES, LOADER_XID, MemoryLeases, SITE, ctxFor, loaderDiscover, loaderRequest, requestBytes, sitePolicy, type LoaderForm,
} from "../support/dhcp-builders.js";

const FORMS: LoaderForm[] = ["2011", "current", "newest"];

function answer(req: DhcpPacket, mode: "full" | "proxy" = "full"): DhcpDecision {
  const bytes = requestBytes(req, LOADER_PACKET_BYTES);
  assert.equal(bytes.length, LOADER_PACKET_BYTES);
  return createResponder(sitePolicy({ mode })).respondToBytes(bytes, ctxFor(new MemoryLeases()));
}

function reply(d: DhcpDecision): ReplyDecision {
  assert.equal(d.kind, "reply", d.kind === "ignore" ? d.detail : "");
  return d as ReplyDecision;
}

/** The loader's parser: stops at END, does NOT skip PAD; returns code -> value of the options field. */
function loaderParse(b: Uint8Array): Map<number, Uint8Array> {
  const out = new Map<number, Uint8Array>();
  let i = 240;
  while (b[i] !== 255) {
    assert.notEqual(b[i], 0, `PAD between options at ${i}`);
    out.set(b[i]!, b.subarray(i + 2, i + 2 + b[i + 1]!));
    i += 2 + b[i + 1]!;
  }
  return out;
}

const text = (b: Uint8Array | undefined): string | undefined => (b === undefined ? undefined : new TextDecoder().decode(b));

for (const form of FORMS) {
  test(`loader (${form} form): OFFER and ACK carry root-path and host-name, identical, without PAD`, () => {
    const mac = SITE.c1.macs[0];
    const offer = reply(answer(loaderDiscover({ mac, form, arch: 7 })));
    const offered = loaderParse(offer.bytes);
    assert.equal(text(offered.get(O.RootPath)), SITE.c1.rootPath);
    assert.equal(text(offered.get(O.HostName)), SITE.c1.fqdn);
    assert.equal(decode(offer.bytes).yiaddr, SITE.c1.ip);
    const serverId = getOption(decode(offer.bytes).options, O.ServerIdentifier)!;
    const ack = reply(answer(loaderRequest({ mac, form, arch: 7, serverId, requestedIp: SITE.c1.ip })));
    const acked = loaderParse(ack.bytes);
    assert.equal(getOption(decode(ack.bytes).options, O.DhcpMessageType), MessageType.Ack);
    for (const code of [O.RootPath, O.HostName, O.SubnetMask, O.Router, O.ServerIdentifier]) {
      assert.deepEqual(acked.get(code), offered.get(code), `option ${code} differs between OFFER and ACK`);
    }
    // The loader's 300 s request never shortens the reservation.
    assert.equal(getOption(decode(ack.bytes).options, O.IpAddressLeaseTime), 86400);
    assert.ok(ack.bytes.length >= 300 && ack.bytes.length <= (form === "newest" ? 1472 - 28 : 548));
    assert.equal(ack.destination.address, "255.255.255.255");
  });
}

test("loader: FreeBSD 13/14 UEFI loaders all use xid 1; each gets its own reservation", () => {
  const a = reply(answer(loaderDiscover({ mac: SITE.c1.macs[0], form: "newest", arch: 7 })));
  const b = reply(answer(loaderDiscover({ mac: SITE.c3.macs[0], form: "newest", arch: 7 })));
  assert.equal(decode(a.bytes).xid, LOADER_XID);
  assert.equal(decode(b.bytes).xid, LOADER_XID);
  assert.equal(decode(a.bytes).yiaddr, SITE.c1.ip);
  assert.equal(decode(b.bytes).yiaddr, SITE.c3.ip);
  assert.notEqual(a.transactionKey, b.transactionKey);
});

test("loader: an unknown MAC gets nothing", () => {
  const d = answer(loaderDiscover({ mac: SITE.unknownMac }));
  assert.equal(d.kind === "ignore" && d.reason, IgnoreReason.UnknownClient);
});

for (const form of FORMS) {
  test(`proxy mode: the loader's DISCOVER (${form} form, bare PXEClient) gets no proxy offer`, () => {
    const d = answer(loaderDiscover({ mac: SITE.c1.macs[0], form, arch: 7 }), "proxy");
    assert.equal(d.kind, "ignore");
    assert.equal(d.kind === "ignore" && d.reason, IgnoreReason.FreebsdLoaderInProxyMode);
  });
}

test("the loader's user class is RFC 3004 (07 'FreeBSD'); its request list is 17 12 16 3 1 26 54", () => {
  const p = loaderDiscover({ mac: SITE.c1.macs[0] });
  assert.deepEqual([...p.options.get(O.UserClass)!], [7, ...new TextEncoder().encode("FreeBSD")]);
  assert.deepEqual(getOption(p.options, O.ParameterRequestList), [17, 12, 16, 3, 1, 26, 54]);
  const old = loaderDiscover({ mac: SITE.c1.macs[0], form: "2011" });
  assert.deepEqual([...old.options.keys()], [O.DhcpMessageType, O.VendorClassIdentifier]);
  const oldReq = loaderRequest({ mac: SITE.c1.macs[0], form: "2011", serverId: SITE.serverLan, requestedIp: SITE.c1.ip });
  assert.deepEqual([...oldReq.options.keys()], [O.DhcpMessageType, O.RequestedIpAddress, O.ServerIdentifier, O.IpAddressLeaseTime, O.VendorClassIdentifier]);
  const newest = loaderDiscover({ mac: SITE.c1.macs[0], form: "newest", arch: 7 });
  assert.equal(getOption(newest.options, O.MaximumMessageSize), 1472);
  assert.ok(newest.options.has(O.VendorIdentifyingVendorClass));
  assert.deepEqual(getOption(newest.options, O.ClientSystemArchitecture), [7]);
});
