/**
 * Several servers on one shared store: what this server says about them
 * (status, dashboard, doctor) and the warning when their inventories
 * differ. Pure but for the logger: the store's ClusterView in, a report out.
 */
import type { ClusterView } from "../store/index.js";
import type { Logger } from "./logger.js";
import type { ClusterStatus } from "./status-types.js";

/** A server whose heartbeat is older than this is not counted in a mismatch (it may be long gone). */
export const RECENT_MS = 60_000;

export function clusterStatus(view: ClusterView, inventoryHash: string): ClusterStatus {
  const now = view.dbNowMs;
  const servers = view.servers().map((s) => ({
    name: s.name, inventoryHash: s.inventoryHash, sameInventory: s.inventoryHash === inventoryHash, laggbootVersion: s.laggbootVersion,
    lastSeenAgoMs: now === undefined ? undefined : Math.max(0, now - s.lastSeenMs),
  }));
  return {
    server: view.serverName, store: "postgres", online: view.online(), schemaVersion: view.schemaVersion, inventoryHash,
    queuedEvents: view.queuedEvents, droppedEvents: view.droppedEvents, leaseConflicts: view.conflicts, servers,
    inventoryMismatch: servers.filter((s) => !s.sameInventory && s.lastSeenAgoMs !== undefined && s.lastSeenAgoMs < RECENT_MS).map((s) => s.name),
  };
}

/** Logs a warning once for each server and inventory hash that differs from ours. */
export class MismatchWatch {
  private readonly warned = new Set<string>();

  constructor(private readonly log: Logger) {}

  check(status: ClusterStatus): void {
    for (const s of status.servers) {
      if (!status.inventoryMismatch.includes(s.name)) continue;
      const key = `${s.name}\u0000${s.inventoryHash}\u0000${status.inventoryHash}`;
      if (this.warned.has(key)) continue;
      this.warned.add(key);
      this.log.log("warn", "another server sharing the database runs a different inventory: reserved clients may get different answers from each", {
        server: s.name, theirs: s.inventoryHash.slice(0, 12), ours: status.inventoryHash.slice(0, 12),
      });
    }
  }
}
