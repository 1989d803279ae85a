/**
 * What the DHCP server remembers between packets and across restarts: dynamic
 * pool leases, addresses a client DECLINEd (RFC 2131 section 4.3.3: the server
 * must not hand them out again for a while), and a per-client log of boot
 * events. Fixed reservations are NOT leases here: they live in the inventory.
 *
 * Addresses and MACs are plain canonical strings at this edge ("198.18.0.10",
 * "02:00:00:00:00:01", lower case); the store does not interpret them.
 */

/** A dynamic lease. One row per address: an address has at most one holder. */
export interface Lease {
  readonly ip: string;
  readonly mac: string;
  /** The network (inventory name) the address belongs to. */
  readonly network: string;
  /** "offered" holds an address between OFFER and REQUEST; "bound" after ACK. */
  readonly state: LeaseState;
  readonly startMs: number;
  readonly expiresMs: number;
  /** Option 61 client identifier as hex, when the client sent one. */
  readonly clientId?: string | undefined;
  readonly hostName?: string | undefined;
}

export type LeaseState = "offered" | "bound";

/** An address a client reported as in use by someone else (DHCPDECLINE). */
export interface BadAddress {
  readonly ip: string;
  /** The MAC whose DECLINE marked it. */
  readonly mac: string;
  readonly network: string;
  readonly sinceMs: number;
  readonly untilMs: number;
}

/**
 * One step of a client's boot, for logs and the status API. `kind` is open on
 * purpose (e.g. "dhcp.offer", "dhcp.ack", "dhcp.nak", "tftp.sent"): new
 * servers add kinds without a schema change. `details` must be JSON-safe.
 */
export interface BootEventInput {
  readonly atMs: number;
  readonly kind: string;
  readonly mac: string;
  readonly ip?: string | undefined;
  readonly details?: Readonly<Record<string, unknown>> | undefined;
}

export interface BootEvent extends BootEventInput {
  /** Increasing id: a reader can ask for everything after the last id it saw. */
  readonly id: number;
  readonly details: Readonly<Record<string, unknown>>;
  /** The server that recorded it, in a store shared by several servers (PostgreSQL). */
  readonly server?: string | undefined;
}

export interface EventQuery {
  readonly mac?: string | undefined;
  /** Only events with id greater than this. */
  readonly afterId?: number | undefined;
  /** Newest first, at most this many (default 100). */
  readonly limit?: number | undefined;
}

/**
 * The storage contract. Reads are synchronous and see every write already
 * made through this object, durable or not (the responder must not offer an
 * address whose commit is still in flight). Writes return a promise that
 * settles once the write is durable: a server sends an ACK only after
 * `commitLease` resolved (RFC 2131 section 4.3.2 asks the server to record
 * the binding before it answers).
 */
export interface Store {
  /**
   * Other servers write to this store too (PostgreSQL): the reads are a
   * mirror that may lag the database by a moment, so a pool OFFER must wait
   * for its hold to commit (a conflict is found there, not in the mirror).
   */
  readonly shared?: boolean;
  /** The servers sharing this store, and the link to it; only on a shared store. */
  readonly cluster?: ClusterView;
  /**
   * Record a lease. Refused with LB_ERR_LEASE_CONFLICT (nothing written)
   * while the address is held by another MAC whose lease is live at
   * `lease.startMs`, or when an "offered" hold would replace the same MAC's
   * live bound lease (see leaseConflict): the one rule that keeps an address
   * with one holder, enforced where the write commits.
   */
  commitLease(lease: Lease): Promise<void>;
  /**
   * Forget a lease (RELEASE, expiry). With `mac`, only while that MAC holds
   * it (a shared store: the very row this server saw). Resolves when durable.
   */
  removeLease(ip: string, mac?: string): Promise<void>;
  markBadAddress(bad: BadAddress): Promise<void>;

  leaseByIp(ip: string): Lease | undefined;
  /** Every lease a MAC holds (normally one per network). */
  leasesByMac(mac: string): readonly Lease[];
  listLeases(): readonly Lease[];
  /**
   * A pool address in [first, last] for which `usable` says yes (the caller
   * checks holders, bad marks and reserved addresses). Scans from where the
   * previous search in that range stopped, so filling a pool costs O(1) per
   * allocation instead of a scan from the start.
   */
  freeAddress(first: string, last: string, nowMs: number, usable: (ip: string) => boolean): string | undefined;
  /** Is the address declined at `nowMs`? */
  isBadAddress(ip: string, nowMs: number): boolean;
  listBadAddresses(nowMs: number): readonly BadAddress[];
  /** Drop leases that expired before `nowMs` and bad marks past their time. Returns how many leases went. */
  pruneExpired(nowMs: number): Promise<number>;

  /**
   * Record an event. Not awaited on the hot path; it rides the next commit.
   * Writes are durable in the order they were made: an event recorded before
   * a write is durable once that write's promise resolves. The DHCP server
   * records an ACK's event before the lease write for that reason, so a
   * crash right after the ACK keeps both (every Store must keep this order).
   */
  recordEvent(event: BootEventInput): void;
  events(query?: EventQuery): readonly BootEvent[];

  /** Write everything pending, then release the resources. Idempotent. */
  close(): Promise<void>;
}

/** A server's row in a shared store: who serves, with which inventory, seen when. */
export interface ServerRecord {
  readonly name: string;
  /** sha256 of the validated inventory (src/config/inventory-hash.ts). */
  readonly inventoryHash: string;
  readonly laggbootVersion: string;
  readonly startedMs: number;
  /** The database's clock at the server's last heartbeat. */
  readonly lastSeenMs: number;
}

/** What a shared store tells about the cluster (status, doctor, metrics). */
export interface ClusterView {
  /** This server's name (the inventory instance, or the host name). */
  readonly serverName: string;
  /** Is the database reachable right now? */
  online(): boolean;
  /** Every server that ever registered, as of the last heartbeat (newest first). */
  servers(): readonly ServerRecord[];
  /** The database's clock at the last heartbeat (ms), to judge lastSeenMs against. */
  readonly dbNowMs: number | undefined;
  /** Events waiting for the database, and events dropped because the queue was full. */
  readonly queuedEvents: number;
  readonly droppedEvents: number;
  /** Lease writes lost to another server (LB_ERR_LEASE_CONFLICT). */
  readonly conflicts: number;
  /** The schema version the database holds. */
  readonly schemaVersion: number | undefined;
  /** After a reload: the hash the next heartbeat stores. */
  setInventoryHash(hash: string): void;
  /**
   * Every event as it enters this server's view: its own as they are
   * recorded, the other servers' as the tail finds them. Returns the
   * unsubscribe function.
   */
  onEvent(listener: (event: BootEvent) => void): () => void;
}
