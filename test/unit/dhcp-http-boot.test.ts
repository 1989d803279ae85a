/**
 * HTTP boot in the DHCP answers: UEFI HTTP Boot firmware (vendor class
 * HTTPClient) gets option 60 "HTTPClient" and a URL, in full and proxy mode;
 * iPXE gets its script as an http:// URL; the site, an architecture or a
 * client can say tftp instead.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { DhcpOption as O, MessageType, decode, getOption, type DhcpPacket } from "../../src/wire/dhcp4/index.js";
import { clientFacts, createResponder, IgnoreReason, type DhcpDecision, type DhcpPolicy, type HttpBootPolicy, type ReplyDecision } from "../../src/protocol/dhcp/index.js";
import { MemoryLeases, SITE, ctxFor, httpBootRequest, pxeRequest, requestBytes, sitePolicy } from "../support/dhcp-builders.js";

const HTTP: HttpBootPolicy = { address: undefined, port: 80, protocol: "http", protocolByArch: new Map() };

function run(req: DhcpPacket, over: Partial<DhcpPolicy> = {}): DhcpDecision {
  return createResponder(sitePolicy({ httpBoot: HTTP, ...over })).respondToBytes(requestBytes(req), ctxFor(new MemoryLeases()));
}

function reply(d: DhcpDecision): DhcpPacket {
  assert.equal(d.kind, "reply", d.kind === "ignore" ? d.detail : "");
  return decode((d as ReplyDecision).bytes);
}

const c1 = SITE.c1.macs[0];

test("client facts: HTTPClient vendor class is HTTP Boot firmware; its arch comes from option 93 or the vendor class", () => {
  const f = clientFacts(httpBootRequest({ mac: c1 }));
  assert.equal(f.httpClient, true);
  assert.equal(f.pxeFirmware, false);
  assert.equal(f.arch, 16);
  assert.equal(clientFacts(httpBootRequest({ mac: c1, arch: 19, noArchOption: true })).arch, 19);
  assert.equal(clientFacts(pxeRequest({ mac: c1, arch: 7 })).httpClient, false);
});

test("full mode: HTTP Boot firmware gets its address, option 60 HTTPClient and the x64 UEFI boot file as a URL", () => {
  const p = reply(run(httpBootRequest({ mac: c1 })));
  assert.equal(getOption(p.options, O.DhcpMessageType), MessageType.Offer);
  assert.equal(p.yiaddr, SITE.c1.ip);
  assert.equal(getOption(p.options, O.VendorClassIdentifier), "HTTPClient");
  assert.equal(p.file, "http://198.18.10.1/loader.efi");
  assert.equal(getOption(p.options, O.BootFileName), "http://198.18.10.1/loader.efi");
  const ack = reply(run(httpBootRequest({ mac: c1, type: MessageType.Request, serverId: SITE.serverLan, requestedIp: SITE.c1.ip })));
  assert.equal(getOption(ack.options, O.DhcpMessageType), MessageType.Ack);
  assert.equal(getOption(ack.options, O.VendorClassIdentifier), "HTTPClient");
  assert.equal(ack.file, "http://198.18.10.1/loader.efi");
});

test("an explicit boot file for architecture 16 wins over 7's; a port other than 80 and a named host go into the URL", () => {
  const bootFiles = { byArch: new Map([[0, "pxeboot"], [7, "loader.efi"], [16, "efi/boot/bootx64.efi"]]) };
  const p = reply(run(httpBootRequest({ mac: c1 }), { bootFiles, httpBoot: { ...HTTP, address: "198.18.10.5", port: 8080 } }));
  assert.equal(p.file, "http://198.18.10.5:8080/efi/boot/bootx64.efi");
});

test("without an HTTP server, or when the site, architecture or client says tftp: the address but no HTTP boot answer", () => {
  for (const over of [
    { httpBoot: undefined },
    { httpBoot: { ...HTTP, protocol: "tftp" as const } },
    { httpBoot: { ...HTTP, protocolByArch: new Map([[7, "tftp" as const]]) } },
    { reservations: sitePolicy().reservations.map((r) => ({ ...r, bootProtocol: "tftp" as const })) },
  ]) {
    const p = reply(run(httpBootRequest({ mac: c1 }), over));
    assert.equal(p.yiaddr, SITE.c1.ip);
    assert.equal(getOption(p.options, O.VendorClassIdentifier), undefined, JSON.stringify(over));
    assert.equal(p.file, "");
    assert.equal(getOption(p.options, O.BootFileName), undefined);
  }
});

test("iPXE gets its script as an http:// URL on its network's server address; PXE firmware still gets TFTP", () => {
  const ipxe = reply(run(pxeRequest({ mac: c1, arch: 0, ipxe: true })));
  assert.equal(ipxe.file, "http://198.18.10.1/boot.ipxe");
  assert.equal(getOption(ipxe.options, O.VendorClassIdentifier), undefined, "no HTTPClient to a PXE client");
  const fw = reply(run(pxeRequest({ mac: c1, arch: 7 })));
  assert.equal(fw.file, "loader.efi");
  const far = reply(run(pxeRequest({ mac: SITE.c2.macs[0], arch: 7, ipxe: true, giaddr: SITE.relayAgent }), { httpBoot: { ...HTTP, port: 8080 } }));
  assert.equal(far.file, `http://${SITE.serverRelayed}:8080/boot.ipxe`);
  // BIOS iPXE over HTTP, EFI iPXE over TFTP.
  const byArch = { httpBoot: { ...HTTP, protocolByArch: new Map([[7, "tftp" as const]]) } };
  assert.equal(reply(run(pxeRequest({ mac: c1, arch: 7, ipxe: true }), byArch)).file, "boot.ipxe");
  assert.equal(reply(run(pxeRequest({ mac: c1, arch: 0, ipxe: true }), byArch)).file, "http://198.18.10.1/boot.ipxe");
  // A client's own choice wins over the site's.
  const own = { httpBoot: { ...HTTP, protocol: "tftp" as const }, reservations: sitePolicy().reservations.map((r) => ({ ...r, bootProtocol: "http" as const })) };
  assert.equal(reply(run(pxeRequest({ mac: c1, arch: 0, ipxe: true }), own)).file, "http://198.18.10.1/boot.ipxe");
});

test("a URL longer than the file field goes into option 67 alone", () => {
  const script = `scripts/${"x".repeat(140)}.ipxe`;
  const p = reply(run(pxeRequest({ mac: c1, arch: 0, ipxe: true }), { ipxeScript: script }));
  assert.equal(p.file, "");
  assert.equal(getOption(p.options, O.BootFileName), `http://198.18.10.1/${script}`);
});

test("proxy mode: HTTP Boot firmware gets a proxy offer with HTTPClient and the URL, no address and no option 43", () => {
  const p = reply(run(httpBootRequest({ mac: c1 }), { mode: "proxy" }));
  assert.equal(getOption(p.options, O.DhcpMessageType), MessageType.Offer);
  assert.equal(p.yiaddr, "0.0.0.0");
  assert.equal(getOption(p.options, O.VendorClassIdentifier), "HTTPClient");
  assert.equal(p.file, "http://198.18.10.1/loader.efi");
  assert.equal(p.options.has(O.VendorSpecific), false);
  assert.equal(p.options.has(O.IpAddressLeaseTime), false);
  const none = run(httpBootRequest({ mac: c1 }), { mode: "proxy", httpBoot: undefined });
  assert.equal(none.kind === "ignore" && none.reason, IgnoreReason.UnknownClient);
  const ipxe = reply(run(pxeRequest({ mac: c1, arch: 0, ipxe: true }), { mode: "proxy" }));
  assert.equal(ipxe.file, "http://198.18.10.1/boot.ipxe");
  assert.equal(getOption(ipxe.options, O.VendorClassIdentifier), "PXEClient");
});

test("uefiPxe false: the client's UEFI PXE firmware gets its address but no boot program; BIOS PXE, iPXE and HTTP Boot are unchanged", () => {
  const over = { reservations: sitePolicy().reservations.map((r) => (r.clientName === SITE.c1.name ? { ...r, uefiPxe: false } : r)) };
  const uefi = reply(run(pxeRequest({ mac: c1, arch: 7 }), over));
  assert.equal(uefi.yiaddr, SITE.c1.ip);
  assert.equal(uefi.file, "");
  assert.equal(getOption(uefi.options, O.BootFileName), undefined);
  assert.equal(reply(run(pxeRequest({ mac: c1, arch: 0 }), over)).file, "pxeboot");
  assert.equal(reply(run(pxeRequest({ mac: c1, arch: 7, ipxe: true }), over)).file, "http://198.18.10.1/boot.ipxe");
  assert.equal(reply(run(httpBootRequest({ mac: c1 }), over)).file, "http://198.18.10.1/loader.efi");
  assert.equal(reply(run(pxeRequest({ mac: SITE.c3.macs[0], arch: 7 }), over)).file, "loader.efi", "other clients keep their UEFI PXE");
});
