/**
 * One batch of the PostgreSQL store's writes: the ops the store queues (one
 * GroupCommit batch is one call of laggboot_apply) and their encoding.
 */
import type { LaggbootError } from "../../errors.js";
import type { BadAddress, Lease } from "../types.js";
import type { LeaseRowPg } from "./mirror.js";

export type PgOp =
  | { t: "lease"; readonly lease: Lease; refused?: LaggbootError }
  | { t: "remove"; readonly ip: string; readonly expect: Lease | undefined }
  | { t: "bad"; readonly bad: BadAddress }
  | { t: "unbad"; readonly ip: string }
  | { t: "prune"; readonly nowMs: number; removed?: number }
  | { t: "event"; readonly event: QueuedEvent & { readonly id: number } };

export interface QueuedEvent {
  readonly id?: number;
  readonly atMs: number;
  readonly kind: string;
  readonly mac: string;
  readonly ip: string | null;
  readonly json: string;
}

export type OpResult = { ok: true; v?: number; n?: number } | { ok: false; row: LeaseRowPg | null };

/** The ops of one batch as laggboot_apply takes them: lease writes in order, and the events. */
export function encodeBatch(ops: readonly PgOp[]): { writes: Record<string, unknown>[]; events: Record<string, unknown>[] } {
  const writes: Record<string, unknown>[] = [];
  const events: Record<string, unknown>[] = [];
  for (const op of ops) {
    switch (op.t) {
      case "lease": writes.push({ t: "lease", ...op.lease }); break;
      case "remove": writes.push(op.expect === undefined ? { t: "remove", ip: op.ip }
        : { t: "remove", ip: op.ip, mac: op.expect.mac, startMs: op.expect.startMs, state: op.expect.state }); break;
      case "bad": writes.push({ t: "bad", ...op.bad }); break;
      case "unbad": writes.push({ t: "unbad", ip: op.ip }); break;
      case "prune": writes.push({ t: "prune", nowMs: op.nowMs }); break;
      case "event": {
        const e = op.event;
        events.push({ id: e.id, at: e.atMs, kind: e.kind, mac: e.mac, ip: e.ip, details: e.json });
        break;
      }
    }
  }
  return { writes, events };
}
