/**
 * The newest boot events of every server sharing the database, in memory,
 * ascending by id: what the synchronous `events()` read answers from. This
 * server's events enter as they are recorded, the others' as the store's
 * tail query finds them. Bounded: the oldest go first; older events stay
 * in the database.
 */
import { selectEvents } from "../events.js";
import type { BootEvent, EventQuery } from "../types.js";

export class EventLog {
  private log: BootEvent[] = [];
  private readonly ids = new Set<number>();

  constructor(private readonly max: number) {}

  has(id: number): boolean {
    return this.ids.has(id);
  }

  /** Adds an event in id order; false when it is there already. */
  add(e: BootEvent): boolean {
    if (this.ids.has(e.id)) return false;
    this.ids.add(e.id);
    const last = this.log[this.log.length - 1];
    if (last === undefined || last.id < e.id) this.log.push(e);
    else {
      // Another server's event with a lower id (ids come in blocks per server): binary search its place.
      let lo = 0, hi = this.log.length;
      while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        if (this.log[mid]!.id < e.id) lo = mid + 1;
        else hi = mid;
      }
      this.log.splice(lo, 0, e);
    }
    // Trim in chunks, not one shift per event.
    if (this.log.length > this.max + Math.max(16, this.max >> 4)) {
      const drop = this.log.length - this.max;
      for (let i = 0; i < drop; i++) this.ids.delete(this.log[i]!.id);
      this.log = this.log.slice(drop);
    }
    return true;
  }

  clear(): void {
    this.log = [];
    this.ids.clear();
  }

  select(query: EventQuery): BootEvent[] {
    return selectEvents(this.log, query);
  }
}
