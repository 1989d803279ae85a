/**
 * The read half of the Store contract, shared by every implementation: all
 * reads come from the in-memory LeaseIndex, which sees writes still in flight.
 */
import { LaggbootError } from "../errors.js";
import { LeaseIndex } from "./lease-index.js";
import { leaseConflict } from "./lease-rules.js";
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

  /** The LB_ERR_LEASE_CONFLICT refusal for `lease`, if the index (writes in flight included) holds the address for someone else. */
  protected conflictWith(lease: Lease): LaggbootError | undefined {
    const held = this.index.get(lease.ip);
    if (!leaseConflict(held, lease)) return undefined;
    return new LaggbootError("LB_ERR_LEASE_CONFLICT", `${lease.ip} is held by ${held!.mac} (${held!.state}) until ${new Date(held!.expiresMs).toISOString()}`);
  }

  /** Does `removeLease(ip, mac)` apply: is there a lease at ip, held by mac when mac is given? */
  protected removes(ip: string, mac: string | undefined): boolean {
    const held = this.index.get(ip);
    return held !== undefined && (mac === undefined || held.mac === mac);
  }

  isBadAddress(ip: string, nowMs: number): boolean {
    return this.index.isBad(ip, nowMs);
  }

  listBadAddresses(nowMs: number): readonly BadAddress[] {
    return this.index.badAt(nowMs);
  }
}
