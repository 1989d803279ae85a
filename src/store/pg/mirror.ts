/**
 * A server's mirror of the shared lease table: the LeaseIndex the responder
 * reads, kept in step with the database by the change feed (NOTIFY
 * laggboot_changes, from laggboot_apply) and by the results of this
 * server's own batches. Every lease write has a version from one database
 * sequence; a change is applied only if it is newer than what the mirror
 * holds for that address, so feed and results may arrive in any order.
 * Writes still in flight are in the index too (optimistic) without a
 * version: the next committed change of the address replaces them.
 */
import type { LeaseIndex } from "../lease-index.js";
import type { Lease } from "../types.js";

/** A row of `leases` as PostgreSQL returns it (bigint columns may arrive as strings). */
export interface LeaseRowPg {
  ip: string; mac: string; network: string; state: string; start_ms: string | number; expires_ms: string | number;
  client_id: string | null; host_name: string | null; version: string | number;
}

export function rowToLease(r: LeaseRowPg): Lease {
  return {
    ip: r.ip, mac: r.mac, network: r.network, state: r.state === "bound" ? "bound" : "offered",
    startMs: Number(r.start_ms), expiresMs: Number(r.expires_ms),
    ...(r.client_id === null ? {} : { clientId: r.client_id }),
    ...(r.host_name === null ? {} : { hostName: r.host_name }),
  };
}

export class Mirror {
  /** The version of the last committed change applied per address (a removal's too). */
  private readonly versions = new Map<string, number>();

  constructor(private readonly index: LeaseIndex) {}

  clear(): void {
    this.index.clear();
    this.versions.clear();
  }

  put(lease: Lease, version: number): void {
    if (version <= (this.versions.get(lease.ip) ?? 0)) return;
    this.versions.set(lease.ip, version);
    this.index.put(lease);
  }

  remove(ip: string, version: number): void {
    if (version <= (this.versions.get(ip) ?? 0)) return;
    this.versions.set(ip, version);
    this.index.remove(ip);
  }

  /**
   * After a write of ours did not apply: the row the database holds now
   * (undefined: none). It replaces our optimistic value unless a newer
   * change came through the feed meanwhile.
   */
  settle(ip: string, row: LeaseRowPg | undefined): void {
    const known = this.versions.get(ip) ?? 0;
    if (row === undefined) {
      this.index.remove(ip);
      return;
    }
    const v = Number(row.version);
    if (v < known) return;
    this.versions.set(ip, v);
    this.index.put(rowToLease(row));
  }

  /**
   * One NOTIFY payload: {"s": server, "c": [change...]} with changes
   * ["L", ip, mac, network, state, startMs, expiresMs, clientId, hostName, version],
   * ["-", ip, version], ["B", ip, mac, network, sinceMs, untilMs], ["b", ip].
   * A payload that does not parse is ignored (the next reload corrects the
   * mirror); one from `self` too (its changes came with its batch results).
   */
  applyPayload(payload: string, self: string): boolean {
    let parsed: unknown;
    try {
      parsed = JSON.parse(payload);
    } catch {
      return false;
    }
    if ((parsed as { s?: unknown }).s === self) return true;
    const changes = (parsed as { c?: unknown }).c;
    if (!Array.isArray(changes)) return false;
    for (const c of changes as unknown[][]) {
      if (!Array.isArray(c)) continue;
      switch (c[0]) {
        case "L":
          this.put({
            ip: String(c[1]), mac: String(c[2]), network: String(c[3]), state: c[4] === "bound" ? "bound" : "offered",
            startMs: Number(c[5]), expiresMs: Number(c[6]),
            ...(typeof c[7] === "string" ? { clientId: c[7] } : {}),
            ...(typeof c[8] === "string" ? { hostName: c[8] } : {}),
          }, Number(c[9]));
          break;
        case "-":
          this.remove(String(c[1]), Number(c[2]));
          break;
        case "B":
          this.index.putBad({ ip: String(c[1]), mac: String(c[2]), network: String(c[3]), sinceMs: Number(c[4]), untilMs: Number(c[5]) });
          break;
        case "b":
          this.index.removeBad(String(c[1]));
          break;
      }
    }
    return true;
  }
}
