/**
 * The one rule that keeps a pool address with one holder, shared by every
 * store (PostgreSQL states it again in SQL, src/store/pg/sql.ts, where the
 * write commits; a test holds the two together).
 */
import type { Lease } from "./types.js";

/**
 * May `next` replace `held` at the same address? Not while `held` is live at
 * `next.startMs` and belongs to another MAC; and an "offered" hold never
 * replaces the same MAC's live bound lease (a late OFFER hold from a second
 * server would otherwise shorten a lease the client was ACKed).
 */
export function leaseConflict(held: Lease | undefined, next: Lease): boolean {
  if (held === undefined || held.expiresMs <= next.startMs) return false;
  if (held.mac !== next.mac) return true;
  return held.state === "bound" && next.state === "offered";
}
