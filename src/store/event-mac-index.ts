/**
 * Which boot events each MAC has, in memory: MAC -> its event ids,
 * ascending. It stands in for the `events_by_mac` table index (dropped by
 * migration 3): events are written with random MACs, so that index cost a
 * random leaf page (a 4 KiB WAL frame) per event on the writer thread, for
 * a query only the status API makes. Pure: the store feeds it ids as it
 * records events and the prune horizon as the writer reports it.
 */

/** One MAC's ids, ascending; the live ones start at `head` (dropping from the front is O(1)). */
interface IdList { ids: number[]; head: number }

/** Compact an array once this many entries (and at least half of it) are dead at its front. */
const COMPACT_AT = 64;

export class EventMacIndex {
  private readonly byMac = new Map<string, IdList>();
  /** Every id held, ascending, with its MAC (same position): dropThrough walks these from the front. */
  private ids: number[] = [];
  private macs: string[] = [];
  private head = 0;

  /** How many ids are held. */
  get size(): number {
    return this.ids.length - this.head;
  }

  /** How many MACs have at least one id. */
  get macCount(): number {
    return this.byMac.size;
  }

  /** Add an event; ids must come in ascending order (the store hands them out so). */
  add(id: number, mac: string): void {
    if (this.ids.length > this.head && id <= this.ids[this.ids.length - 1]!) {
      throw new Error(`event index: id ${id} is not above the last one, ${this.ids[this.ids.length - 1]!}`);
    }
    this.ids.push(id);
    this.macs.push(mac);
    const list = this.byMac.get(mac);
    if (list === undefined) this.byMac.set(mac, { ids: [id], head: 0 });
    else list.ids.push(id);
  }

  /** Forget every id <= cutoff (what the writer's prune deleted). O(ids dropped), amortised. */
  dropThrough(cutoff: number): void {
    while (this.head < this.ids.length && this.ids[this.head]! <= cutoff) {
      const mac = this.macs[this.head]!;
      const list = this.byMac.get(mac)!;
      // Each MAC's ids are a subsequence of `ids`, so this id is the front of its list.
      list.head++;
      if (list.head === list.ids.length) this.byMac.delete(mac);
      else if (list.head >= COMPACT_AT && list.head * 2 >= list.ids.length) {
        list.ids = list.ids.slice(list.head);
        list.head = 0;
      }
      this.head++;
    }
    if (this.head >= COMPACT_AT && this.head * 2 >= this.ids.length) {
      this.ids = this.ids.slice(this.head);
      this.macs = this.macs.slice(this.head);
      this.head = 0;
    }
  }

  /** Forget the ids in [from, to] (a batch that failed: its events never reached the database). */
  removeRange(from: number, to: number): void {
    const lo = lowerBound(this.ids, this.head, from);
    const hi = lowerBound(this.ids, lo, to + 1);
    if (lo === hi) return;
    for (let k = lo; k < hi; k++) {
      const mac = this.macs[k]!;
      const list = this.byMac.get(mac)!;
      const at = lowerBound(list.ids, list.head, this.ids[k]!);
      list.ids.splice(at, 1);
      if (list.head === list.ids.length) this.byMac.delete(mac);
    }
    this.ids.splice(lo, hi - lo);
    this.macs.splice(lo, hi - lo);
  }

  /** The MAC's ids above `afterId` (all when undefined), newest first. */
  *newestFirst(mac: string, afterId = 0): Generator<number, void, undefined> {
    const list = this.byMac.get(mac);
    if (list === undefined) return;
    for (let i = list.ids.length - 1; i >= list.head; i--) {
      const id = list.ids[i]!;
      if (id <= afterId) return;
      yield id;
    }
  }
}

/** The first position >= start whose value is >= v (a.length if none); a ascending from start. */
function lowerBound(a: readonly number[], start: number, v: number): number {
  let lo = start;
  let hi = a.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (a[mid]! < v) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
