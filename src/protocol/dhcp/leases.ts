/**
 * The lease state the responder reads, and the writes it asks for. The
 * shapes match src/store (Lease, BadAddress, BootEventInput) field for field,
 * so the store object can be passed as the LeaseView and each write maps to
 * one store call. The responder never writes: the I/O side applies
 * `leaseWrites` durably BEFORE it sends the reply (RFC 2131 section 4.3.2:
 * record the binding, then answer), then sends, then records the event.
 */

export interface DhcpLease {
  readonly ip: string;
  readonly mac: string;
  readonly network: string;
  readonly state: "offered" | "bound";
  readonly startMs: number;
  readonly expiresMs: number;
  readonly clientId?: string | undefined;
  readonly hostName?: string | undefined;
}

export interface DhcpBadAddress {
  readonly ip: string;
  readonly mac: string;
  readonly network: string;
  readonly sinceMs: number;
  readonly untilMs: number;
}

/** Read-only lease lookups (a subset of src/store's Store). Expired leases may still be returned; the responder checks `expiresMs`. */
export interface LeaseView {
  leaseByIp(ip: string): DhcpLease | undefined;
  leasesByMac(mac: string): readonly DhcpLease[];
  isBadAddress(ip: string, nowMs: number): boolean;
  /**
   * Optional fast path for pool allocation: an address in [first, last]
   * that has no unexpired lease, no bad mark at `nowMs`, and for which
   * `usable` is true. Without it the responder scans the pool in order.
   */
  freeAddress?(first: string, last: string, nowMs: number, usable: (ip: string) => boolean): string | undefined;
}

/** A write the I/O side must make durable before sending the reply. */
export type LeaseWrite =
  | { readonly kind: "commitLease"; readonly lease: DhcpLease }
  | { readonly kind: "removeLease"; readonly ip: string }
  | { readonly kind: "markBadAddress"; readonly bad: DhcpBadAddress };

/** A boot event (same shape as src/store's BootEventInput). */
export interface DhcpEvent {
  readonly atMs: number;
  /** "dhcp.offer", "dhcp.ack", "dhcp.nak", "dhcp.decline", "dhcp.release", "dhcp.inform", "dhcp.proxy-offer", "dhcp.proxy-ack", "dhcp.ignored" */
  readonly kind: string;
  readonly mac: string;
  readonly ip?: string | undefined;
  readonly details?: Readonly<Record<string, unknown>> | undefined;
}
