/**
 * An in-memory Store: the test double for servers and the responder, and the
 * choice for a run that needs no persistence. It passes the same contract
 * tests as the SQLite store (test/unit/store-contract.ts), except that nothing
 * survives the process.
 */
import { LaggbootError } from "../errors.js";
import { IndexedReads } from "./index-reads.js";
import { copyDetails, selectEvents } from "./events.js";
import type { BadAddress, BootEvent, BootEventInput, EventQuery, Lease, Store } from "./types.js";

export interface MemoryStoreOptions {
  /** Keep at most this many events (oldest dropped first). */
  readonly maxEvents?: number;
}

export class MemoryStore extends IndexedReads implements Store {
  private readonly eventLog: BootEvent[] = [];
  private nextEventId = 1;
  private closed = false;
  private readonly maxEvents: number;

  constructor(options: MemoryStoreOptions = {}) {
    super();
    this.maxEvents = options.maxEvents ?? 100_000;
  }

  commitLease(lease: Lease): Promise<void> {
    const refused = this.conflictWith(lease);
    if (refused !== undefined && !this.closed) return Promise.reject(refused);
    return this.write(() => this.index.put(lease));
  }

  removeLease(ip: string, mac?: string): Promise<void> {
    if (!this.removes(ip, mac) && !this.closed) return Promise.resolve();
    return this.write(() => void this.index.remove(ip));
  }

  markBadAddress(bad: BadAddress): Promise<void> {
    return this.write(() => this.index.putBad(bad));
  }

  async pruneExpired(nowMs: number): Promise<number> {
    const gone = this.index.expired(nowMs);
    await this.write(() => {
      for (const ip of gone.leases) this.index.remove(ip);
      for (const ip of gone.bad) this.index.removeBad(ip);
    });
    return gone.leases.length;
  }

  recordEvent(event: BootEventInput): void {
    if (this.closed) return;
    this.eventLog.push({
      id: this.nextEventId++, atMs: event.atMs, kind: event.kind, mac: event.mac,
      ...(event.ip === undefined ? {} : { ip: event.ip }),
      details: copyDetails(event.details),
    });
    if (this.eventLog.length > this.maxEvents) this.eventLog.splice(0, this.eventLog.length - this.maxEvents);
  }

  events(query: EventQuery = {}): readonly BootEvent[] {
    return selectEvents(this.eventLog, query);
  }

  close(): Promise<void> {
    this.closed = true;
    return Promise.resolve();
  }

  private write(apply: () => void): Promise<void> {
    if (this.closed) return Promise.reject(new LaggbootError("LB_ERR_STORE", "the store is closed"));
    apply();
    return Promise.resolve();
  }
}
