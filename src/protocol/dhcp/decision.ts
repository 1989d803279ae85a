/**
 * What `respond` returns: a reply to send (with where to send it from and
 * to), a handled message that needs no reply (DECLINE, RELEASE), or a reason
 * to ignore the request. The I/O side only moves bytes.
 */
import type { DhcpPacket } from "../../wire/dhcp4/types.js";
import type { DhcpEvent, LeaseWrite } from "./leases.js";

/** Why a request gets no answer. The I/O side counts these and rate-limits their logs per (reason, mac). */
export const IgnoreReason = {
  Malformed: "malformed",
  NotARequest: "not-a-request",
  NoMessageType: "no-message-type",
  UnsupportedMessageType: "unsupported-message-type",
  UnknownClient: "unknown-client",
  NoNetwork: "no-network",
  PoolExhausted: "pool-exhausted",
  OtherServer: "other-server",
  NotOurLease: "not-our-lease",
  NotPxeFirmware: "not-pxe-firmware",
  FreebsdLoaderInProxyMode: "freebsd-loader-in-proxy-mode",
  ProxyMessage: "proxy-message",
  WrongPort: "wrong-port",
} as const;
export type IgnoreReason = (typeof IgnoreReason)[keyof typeof IgnoreReason];

export interface Destination {
  readonly address: string;
  readonly port: number;
  /** True for 255.255.255.255 (the socket needs SO_BROADCAST). */
  readonly broadcast: boolean;
}

export interface ReplyDecision {
  readonly kind: "reply";
  readonly reply: DhcpPacket;
  /** The encoded reply: no PAD between options, >= 300 bytes, <= the client's option 57 limit. */
  readonly bytes: Uint8Array;
  /** RFC 2131 section 4.1: relay at giaddr:67, ciaddr unicast, else broadcast (whatever the flag). */
  readonly destination: Destination;
  /** Send from a socket bound to this server address (it picks the outgoing interface). */
  readonly sourceAddress: string;
  /** 67, or 4011 for a PXE boot-server (ProxyDHCP) answer. */
  readonly sourcePort: number;
  /** Apply durably BEFORE sending. Empty for reservations and proxy answers. */
  readonly leaseWrites: readonly LeaseWrite[];
  readonly event: DhcpEvent;
  /** MAC + xid + message type: retransmissions share it (FreeBSD 13/14 UEFI loaders all use xid 1). */
  readonly transactionKey: string;
}

export interface HandledDecision {
  readonly kind: "handled";
  readonly leaseWrites: readonly LeaseWrite[];
  readonly event: DhcpEvent;
}

export interface IgnoreDecision {
  readonly kind: "ignore";
  readonly reason: IgnoreReason;
  readonly detail: string;
  /** The client's MAC when the packet got far enough to have one. */
  readonly mac: string | undefined;
}

export type DhcpDecision = ReplyDecision | HandledDecision | IgnoreDecision;
