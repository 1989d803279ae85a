/**
 * The seam between the socket adapter and the DHCP logic. The adapter moves
 * bytes, counts, rate-limits, persists and sends; an `Engine` (codec plus the
 * pure responder, see engine.ts) turns one received packet into a verdict.
 * Tests drive the adapter with a fake engine; app.ts passes the real one.
 */
import type { BadAddress, Lease, Store } from "../../store/index.js";

/** Where a packet came in: which of our sockets, and from whom. */
export interface Arrival {
  /** The port it was sent to: 67, or 4011 (PXE boot server, ProxyDHCP). */
  readonly localPort: number;
  /**
   * The server address it was unicast to, when it arrived on a socket bound
   * to that address; undefined when it arrived on the 0.0.0.0 socket (a
   * broadcast, or a unicast to an address we have no bound socket for).
   * Node cannot tell the arrival interface (see docs/dhcp-server.md).
   */
  readonly localAddress: string | undefined;
  readonly sourceAddress: string;
  readonly sourcePort: number;
}

/** A storage write the reply depends on; done (durably) before the reply is sent. */
export type LeaseWrite =
  | { readonly kind: "commit"; readonly lease: Lease }
  | { readonly kind: "remove"; readonly ip: string }
  | { readonly kind: "bad"; readonly bad: BadAddress };

export interface ReplyVerdict {
  readonly kind: "reply";
  readonly mac: string;
  readonly bytes: Uint8Array;
  /** Destination (RFC 2131 section 4.1 rules, decided by the responder). */
  readonly toAddress: string;
  readonly toPort: number;
  /**
   * The server address whose socket must send it (for 255.255.255.255 this
   * picks the interface); undefined: any socket will do (routed unicast).
   */
  readonly fromAddress: string | undefined;
  /** Sent from the 4011 socket (ProxyDHCP answer to a boot-server request). */
  readonly fromProxyPort: boolean;
  /** Message type name for counters and logs, e.g. "OFFER". */
  readonly messageType: string;
  readonly writes: readonly LeaseWrite[];
  /** The boot event to record once sent, e.g. "dhcp.offer". */
  readonly eventKind: string;
  /** The address the event is about (yiaddr). */
  readonly ip: string | undefined;
  /** Extra facts for the event log (client, boot file, lease time...). */
  readonly details: Readonly<Record<string, unknown>>;
}

/** A message handled without a reply (DECLINE, RELEASE): writes and an event. */
export interface HandledVerdict {
  readonly kind: "handled";
  readonly mac: string;
  readonly writes: readonly LeaseWrite[];
  readonly eventKind: string;
  readonly ip: string | undefined;
  readonly details: Readonly<Record<string, unknown>>;
}

export interface IgnoreVerdict {
  readonly kind: "ignore";
  /** Undefined when the packet named no usable MAC. */
  readonly mac: string | undefined;
  /** Short stable reason, a counter label: "unknown-client", "not-for-us"... */
  readonly reason: string;
  /** The client is unknown to the inventory: logged once per MAC per interval. */
  readonly unknownClient: boolean;
  readonly details: Readonly<Record<string, unknown>>;
}

export type Verdict = ReplyVerdict | HandledVerdict | IgnoreVerdict;

/** What the engine may read when it decides. */
export interface DecideInput<Policy> {
  readonly arrival: Arrival;
  readonly policy: Policy;
  readonly store: Pick<Store, "leaseByIp" | "leasesByMac" | "isBadAddress" | "freeAddress">;
  readonly nowMs: number;
}

export interface Engine<Packet, Policy> {
  /** Throws (a DecodeError) on a malformed packet; the adapter counts and drops it. */
  decode(bytes: Uint8Array): Packet;
  /** The MAC the rate limit is keyed by (chaddr), lower-case colon form. */
  clientMac(packet: Packet): string;
  decide(packet: Packet, input: DecideInput<Policy>): Verdict;
}

/** Everything the adapter reports, one event per decision. */
export type DhcpServerEvent =
  | { readonly type: "malformed"; readonly atMs: number; readonly from: string; readonly error: string }
  | { readonly type: "rate-limited"; readonly atMs: number; readonly mac: string; readonly from: string }
  | { readonly type: "ignored"; readonly atMs: number; readonly mac: string | undefined; readonly reason: string; readonly details: Readonly<Record<string, unknown>> }
  | { readonly type: "unknown-client"; readonly atMs: number; readonly mac: string; readonly details: Readonly<Record<string, unknown>> }
  | { readonly type: "reply"; readonly atMs: number; readonly mac: string; readonly messageType: string; readonly to: string; readonly details: Readonly<Record<string, unknown>> }
  | { readonly type: "handled"; readonly atMs: number; readonly mac: string; readonly eventKind: string; readonly details: Readonly<Record<string, unknown>> }
  | { readonly type: "send-error"; readonly atMs: number; readonly mac: string; readonly to: string; readonly error: string }
  | { readonly type: "store-error"; readonly atMs: number; readonly mac: string | undefined; readonly error: string }
  | { readonly type: "engine-error"; readonly atMs: number; readonly mac: string; readonly error: string };

/** Counters for the metrics endpoint. Monotonic; maps keyed by label. */
export interface DhcpCounters {
  received: number;
  malformed: number;
  rateLimited: number;
  ignored: Map<string, number>;
  sent: Map<string, number>;
  /** Messages handled without a reply, by event kind (dhcp.release, dhcp.decline). */
  handled: Map<string, number>;
  sendErrors: number;
  storeErrors: number;
  /** Lease writes that lost to another server's (shared store); the packet was decided again. */
  leaseConflicts: number;
  engineErrors: number;
  unknownClientsLogged: number;
}

export function newCounters(): DhcpCounters {
  return {
    received: 0, malformed: 0, rateLimited: 0, ignored: new Map(), sent: new Map(), handled: new Map(),
    sendErrors: 0, storeErrors: 0, leaseConflicts: 0, engineErrors: 0, unknownClientsLogged: 0,
  };
}

export function bump(map: Map<string, number>, label: string): void {
  map.set(label, (map.get(label) ?? 0) + 1);
}
