/**
 * Shared pieces of every answer: the configuration options of an OFFER or
 * ACK, the NAK, and the decision wrappers (reply, handled, ignore).
 */
import { DhcpOption, DhcpPort, IpxeSubOption, MessageType, messageTypeName } from "../../wire/dhcp4/codes.js";
import { ZERO_ADDRESS, type DhcpPacket } from "../../wire/dhcp4/types.js";
import type { CompiledNetwork } from "./compile.js";
import type { Exchange } from "./context.js";
import type { DhcpDecision, Destination, IgnoreReason } from "./decision.js";
import { replyDestination } from "./destination.js";
import type { DhcpEvent, LeaseWrite } from "./leases.js";
import type { DhcpReservation } from "./policy.js";
import { OptionList, fitReply, replyPacket, type ReplyHeader } from "./reply.js";
import type { BootChoice } from "./boot.js";

/** Option 60 in a reply to UEFI HTTP Boot firmware: its offer parser (EDK2 HttpBootDhcp4.c) takes only offers saying so for HTTP offers. */
const HTTP_CLIENT = "HTTPClient";

/** The BOOTP `file` field holds 127 bytes and a NUL; a longer name (a long URL) goes in option 67 alone. */
const FILE_FIELD_MAX = 127;

/** What goes in the `file` header field for this choice. */
export function fileField(boot: BootChoice | undefined): string {
  return boot === undefined || Buffer.byteLength(boot.file) > FILE_FIELD_MAX ? "" : boot.file;
}

/** Option 60 and 67 for a boot choice: HTTPClient to HTTP Boot firmware, the name in 67 when asked or too long for `file`. */
export function setBootOptions(o: OptionList, x: Exchange, boot: BootChoice): void {
  if (boot.protocol === "http" && x.f.httpClient) o.set(DhcpOption.VendorClassIdentifier, HTTP_CLIENT);
  const tooLong = fileField(boot) === "";
  if (tooLong || x.f.parameterRequestList.includes(DhcpOption.BootFileName)) o.set(DhcpOption.BootFileName, boot.file, { droppable: !tooLong });
}

export function ignore(x: Pick<Exchange, "f">, reason: IgnoreReason, detail: string): DhcpDecision {
  return { kind: "ignore", reason, detail, mac: x.f.mac };
}

export function transactionKey(x: Exchange): string {
  return `${x.f.mac}/${x.req.xid.toString(16).padStart(8, "0")}/${messageTypeName(x.type)}`;
}

export function event(x: Exchange, kind: string, ip: string | undefined, details: Record<string, unknown>): DhcpEvent {
  return {
    atMs: x.ctx.nowMs, kind, mac: x.f.mac, ip,
    details: { xid: x.req.xid, request: messageTypeName(x.type), ...details },
  };
}

export interface ReplySpec {
  readonly header: ReplyHeader;
  readonly options: OptionList;
  readonly serverAddress: string;
  readonly leaseWrites: readonly LeaseWrite[];
  readonly event: DhcpEvent;
  readonly destination?: Destination;
  readonly sourcePort?: number;
}

export function reply(x: Exchange, spec: ReplySpec): DhcpDecision {
  const isNak = spec.header.type === MessageType.Nak;
  // RFC 3046 section 2.2: relay agent information is echoed unchanged, last.
  const relayInfo = x.req.options.get(DhcpOption.RelayAgentInformation);
  if (relayInfo !== undefined && x.req.giaddr !== ZERO_ADDRESS) spec.options.setRaw(DhcpOption.RelayAgentInformation, relayInfo);
  const draft = replyPacket(x.req, spec.header, spec.options.shared(), isNak);
  const { packet, bytes } = fitReply(draft, spec.options, x.f.maxReplyBytes);
  return {
    kind: "reply",
    reply: packet,
    bytes,
    destination: spec.destination ?? replyDestination(x.req, isNak),
    sourceAddress: spec.serverAddress,
    sourcePort: spec.sourcePort ?? DhcpPort.Server,
    leaseWrites: spec.leaseWrites,
    event: spec.event,
    transactionKey: transactionKey(x),
  };
}

/** The options of an OFFER or ACK, in a fixed order. `leaseSeconds` undefined for INFORM (RFC 2131 3.4: no lease time). */
export function configOptions(
  x: Exchange, type: MessageType, net: CompiledNetwork, r: DhcpReservation | undefined,
  leaseSeconds: number | undefined, boot: BootChoice | undefined,
): OptionList {
  const w = net.wire;
  const rw = r === undefined ? undefined : x.c.reservationWire.get(r);
  const o = new OptionList()
    .set(DhcpOption.DhcpMessageType, type)
    .setRaw(DhcpOption.ServerIdentifier, w.serverId);
  if (leaseSeconds !== undefined) {
    // RFC 2131 4.4.5: T1 defaults to 0.5 and T2 to 0.875 of the lease.
    o.set(DhcpOption.IpAddressLeaseTime, leaseSeconds)
      .set(DhcpOption.RenewalTime, Math.floor(leaseSeconds / 2))
      .set(DhcpOption.RebindingTime, Math.floor((leaseSeconds * 7) / 8));
  }
  o.setRaw(DhcpOption.SubnetMask, w.subnetMask)
    .setRaw(DhcpOption.Router, w.router)
    .setRaw(DhcpOption.DomainNameServer, w.dns)
    .setRaw(DhcpOption.DomainName, w.domain)
    // Host name and root path go to every reserved client whether asked or not:
    // the FreeBSD loader's 2011 form sends no request list, and it keeps the
    // values of the first reply it parses, so the OFFER carries them too.
    .setRaw(DhcpOption.HostName, rw?.hostName)
    .setRaw(DhcpOption.RootPath, rw?.rootPath)
    .setRaw(DhcpOption.BroadcastAddress, w.broadcast, { droppable: true })
    .setRaw(DhcpOption.InterfaceMtu, w.mtu, { droppable: true });
  const asked = x.f.parameterRequestList;
  if (boot !== undefined && asked.includes(DhcpOption.TftpServerName)) o.set(DhcpOption.TftpServerName, x.c.policy.nextServer, { droppable: true });
  if (boot !== undefined) setBootOptions(o, x, boot);
  // iPXE: 175.176 = 1 tells it not to wait ~3 s for ProxyDHCP offers (we are the whole answer).
  if (x.f.ipxe) o.set(DhcpOption.IpxeEncapsulated, new Map([[IpxeSubOption.NoPxeDhcp, Uint8Array.of(1)]]));
  return o;
}

/** A DHCPNAK (RFC 2131 table 3: only 53, 54 and 56; yiaddr, siaddr, file empty). */
export function nak(x: Exchange, net: CompiledNetwork, why: string): DhcpDecision {
  const o = new OptionList()
    .set(DhcpOption.DhcpMessageType, MessageType.Nak)
    .set(DhcpOption.ServerIdentifier, net.policy.serverAddress)
    .set(DhcpOption.Message, why);
  return reply(x, {
    header: { type: MessageType.Nak, yiaddr: ZERO_ADDRESS, siaddr: ZERO_ADDRESS, ciaddr: ZERO_ADDRESS, file: "", sname: "" },
    options: o,
    serverAddress: net.policy.serverAddress,
    leaseWrites: [],
    event: event(x, "dhcp.nak", x.f.requestedIp ?? (x.req.ciaddr !== ZERO_ADDRESS ? x.req.ciaddr : undefined), { network: net.policy.name, why }),
  });
}

export type { DhcpPacket };
