/**
 * The read half of the Store contract, shared by every implementation: all
 * reads come from the in-memory LeaseIndex, which sees writes still in flight.
 */
import { LeaseIndex } from "./lease-index.js";
import type { BadAddress, Lease } from "./types.js";

export abstract class IndexedReads {
  protected readonly index = new LeaseIndex();

  leaseByIp(ip: string): Lease | undefined {
    return this.index.get(ip);
  }

  leasesByMac(mac: string): readonly Lease[] {
    return this.index.byMacAddress(mac);
  }

  listLeases(): readonly Lease[] {
    return this.index.all();
  }

  freeAddress(first: string, last: string, _nowMs: number, usable: (ip: string) => boolean): string | undefined {
    return this.index.freeAddress(first, last, usable);
  }

  isBadAddress(ip: string, nowMs: number): boolean {
    return this.index.isBad(ip, nowMs);
  }

  listBadAddresses(nowMs: number): readonly BadAddress[] {
    return this.index.badAt(nowMs);
  }
}
