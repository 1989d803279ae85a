/**
 * events({ mac }) on the SQLite store, now answered from the in-memory
 * MAC -> event ids index (migration 3 dropped events_by_mac): the same rows
 * in the same order as before, across in-flight and committed events,
 * afterId, limit, pruning, a reopen and a migration from schema 2.
 * Two oracles: the store's unfiltered events() (code unchanged) filtered by
 * MAC, and the old SQL query run on the database file.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { openSqliteStore, type BootEvent, type SqliteStore } from "../../src/store/index.js";
import type { EventMacIndex } from "../../src/store/event-mac-index.js";
import { MIGRATIONS } from "../../src/store/migrations.js";
import { LaggbootError } from "../../src/errors.js";
import { lease } from "./store-contract.js";

const MACS = ["02:00:00:00:0e:01", "02:00:00:00:0e:02", "02:00:00:00:0e:03", "02:00:00:00:0e:04"];

/** Run body with a database path in a fresh temporary directory, removed afterwards. */
async function withTempDb(body: (path: string) => Promise<void>): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "lb-evmac-"));
  try {
    await body(join(dir, "leases.db"));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** A fixed, uneven spread of events over MACS (so the MACs' ids interleave). */
let seq = 0;
function record(s: SqliteStore, n: number): void {
  for (let i = 0; i < n; i++) {
    seq++;
    const mac = MACS[(seq * 7 + (seq >> 2)) % MACS.length]!;
    s.recordEvent({
      atMs: seq, kind: seq % 2 === 0 ? "dhcp.ack" : "dhcp.offer", mac,
      ...(seq % 3 === 0 ? {} : { ip: `198.18.3.${seq % 250}` }), details: { seq, quote: `"q${seq}"` },
    });
  }
}

/** events({ mac, afterId, limit }) equals the unfiltered events() filtered by MAC, for many queries; returns how many rows matched. */
function assertByMacAsUnfiltered(s: SqliteStore, note: string): number {
  const all = s.events({ limit: 1_000_000 });
  const afterIds = [undefined, 0, all[all.length - 1]?.id, all[all.length >> 1]?.id, all[1]?.id, all[0]?.id];
  let rows = 0;
  for (const mac of [...MACS, "02:00:00:00:0e:ff"]) {
    for (const afterId of afterIds) {
      for (const limit of [undefined, 1, 2, 3, 1000]) {
        const want = all.filter((e) => e.mac === mac && (afterId === undefined || e.id > afterId)).slice(0, limit ?? 100);
        const got = s.events({ mac, afterId, limit });
        assert.deepEqual(got, want, `${note}: mac ${mac} afterId ${String(afterId)} limit ${String(limit)}`);
        rows += got.length;
      }
    }
  }
  return rows;
}

/** The query events({ mac }) ran before migration 3, on the file. */
function oldQuery(db: Database.Database, mac: string, afterId: number | undefined, limit: number | undefined): BootEvent[] {
  const rows = db.prepare("SELECT * FROM events WHERE mac = ? AND id > ? ORDER BY id DESC LIMIT ?")
    .all(mac, afterId ?? 0, limit ?? 100) as { id: number; at_ms: number; kind: string; mac: string; ip: string | null; details: string }[];
  return rows.map((r) => ({
    id: r.id, atMs: r.at_ms, kind: r.kind, mac: r.mac, ...(r.ip === null ? {} : { ip: r.ip }),
    details: JSON.parse(r.details) as Record<string, unknown>,
  }));
}

function assertByMacAsOldQuery(s: SqliteStore, path: string, note: string): void {
  const db = new Database(path, { readonly: true });
  try {
    for (const mac of MACS) {
      for (const afterId of [undefined, 3, 17]) {
        for (const limit of [undefined, 1, 4]) {
          const want = oldQuery(db, mac, afterId, limit);
          assert.deepEqual(s.events({ mac, afterId, limit }), want, `${note}: mac ${mac} afterId ${String(afterId)} limit ${String(limit)}`);
        }
      }
    }
  } finally {
    db.close();
  }
}

function eventRows(path: string): number {
  const db = new Database(path, { readonly: true });
  try {
    return db.prepare("SELECT count(*) FROM events").pluck().get() as number;
  } finally {
    db.close();
  }
}

/** The store's MAC index (private): its size shows it holds exactly what the table holds. */
function indexSize(s: SqliteStore): number {
  return (s as unknown as { macEvents: EventMacIndex }).macEvents.size;
}

for (const writerThread of [true, false]) {
  const how = writerThread ? "writer thread" : "inline";

  test(`sqlite events by MAC (${how}): in-flight and committed events, afterId and limit, as before`, () => withTempDb(async (path) => {
    const s = openSqliteStore({ path, writerThread });
    record(s, 30);
    await s.commitLease(lease(1)); // carries the 30 events
    record(s, 11); // in flight: not yet in a batch
    const newest = s.events({ limit: 1 })[0]!;
    assert.deepEqual(s.events({ mac: newest.mac, limit: 1 }), [newest], "an in-flight event is found by its MAC at once");
    assert.ok(assertByMacAsUnfiltered(s, "in flight + committed") > 100);
    await s.commitLease(lease(2));
    assert.ok(assertByMacAsUnfiltered(s, "all committed") > 100);
    assertByMacAsOldQuery(s, path, "all committed");
    assert.equal(indexSize(s), eventRows(path));
    await s.close();
  }));

  test(`sqlite events by MAC (${how}): with a small maxEvents, pruned events are gone and the index stays the table's size`, () => withTempDb(async (path) => {
    const s = openSqliteStore({ path, writerThread, maxEvents: 7 });
    let recorded = 0;
    for (let round = 0; round < 14; round++) {
      const n = 1 + ((round * 5) % 9);
      record(s, n);
      recorded += n;
      assertByMacAsUnfiltered(s, `round ${round}, in flight`);
      await s.commitLease(lease(round + 1));
      assertByMacAsUnfiltered(s, `round ${round}, committed`);
      assertByMacAsOldQuery(s, path, `round ${round}, committed`);
      assert.equal(indexSize(s), eventRows(path), `round ${round}: the index holds what the table holds`);
    }
    const rows = eventRows(path);
    assert.ok(rows < recorded && rows >= 7, `pruning ran: ${rows} of ${recorded} events kept`);
    await s.close();
  }));

  test(`sqlite events by MAC (${how}): a failed batch's events are gone from the MAC index too`, () => withTempDb(async (path) => {
    const s = openSqliteStore({ path, writerThread, commitWindowMs: 0 });
    record(s, 5);
    await s.commitLease(lease(1));
    record(s, 4); // rides the failing batch
    const storeError = (e: unknown): boolean => e instanceof LaggbootError && e.code === "LB_ERR_STORE";
    await assert.rejects(s.commitLease(lease(2, { state: "bogus" as "bound" })), storeError);
    assert.equal(eventRows(path), 5);
    assert.equal(indexSize(s), 5, "the failed batch's 4 events left the index");
    assertByMacAsUnfiltered(s, "after a failed batch");
    record(s, 3);
    await s.commitLease(lease(3));
    assert.equal(indexSize(s), 8);
    assertByMacAsUnfiltered(s, "after the next batch");
    assertByMacAsOldQuery(s, path, "after the next batch");
    await s.close();
  }));
}

test("sqlite events by MAC (writer thread): events committed but not yet acknowledged come once, not twice", () => withTempDb(async (path) => {
  const s = openSqliteStore({ path, commitWindowMs: 0 });
  record(s, 6);
  await s.commitLease(lease(1));
  record(s, 8);
  const written = s.commitLease(lease(2)); // its batch is posted to the writer at the next turn
  await new Promise((r) => setImmediate(r));
  // Block this thread until the writer has committed: its reply cannot be handled meanwhile, so the 8 events
  // are both in the database and still in flight.
  const db = new Database(path, { readonly: true });
  const count = db.prepare("SELECT count(*) FROM events").pluck();
  const giveUp = Date.now() + 10_000;
  while ((count.get() as number) < 14 && Date.now() < giveUp) { /* wait for the writer thread */ }
  assert.equal(count.get(), 14, "the writer thread committed the batch");
  db.close();
  assertByMacAsUnfiltered(s, "committed, reply pending");
  await written;
  assertByMacAsUnfiltered(s, "acknowledged");
  await s.close();
}));

test("sqlite events by MAC: a reopened database rebuilds the index with the same answers", () => withTempDb(async (path) => {
  const a = openSqliteStore({ path, maxEvents: 20 });
  for (let round = 0; round < 5; round++) {
    record(a, 13);
    await a.commitLease(lease(round + 1));
  }
  const before = MACS.map((mac) => [a.events({ mac }), a.events({ mac, afterId: 40, limit: 3 })]);
  await a.close();
  const b = openSqliteStore({ path, maxEvents: 20 });
  assert.deepEqual(MACS.map((mac) => [b.events({ mac }), b.events({ mac, afterId: 40, limit: 3 })]), before);
  assert.ok(before.some(([all]) => all!.length > 0));
  assertByMacAsOldQuery(b, path, "reopened");
  assert.equal(indexSize(b), eventRows(path));
  record(b, 30); // new ids continue above the loaded ones; pruning keeps working
  await b.commitLease(lease(9));
  assertByMacAsUnfiltered(b, "reopened, then more");
  assertByMacAsOldQuery(b, path, "reopened, then more");
  assert.equal(indexSize(b), eventRows(path));
  await b.close();
}));

test("sqlite events by MAC: a schema 2 database is migrated to 3 (events_by_mac dropped) and answers as its index did", () => withTempDb(async (path) => {
  const v2 = new Database(path);
  v2.exec(MIGRATIONS[0]!);
  v2.exec(MIGRATIONS[1]!);
  v2.pragma("user_version = 2");
  const put = v2.prepare("INSERT INTO events (at_ms, kind, mac, ip, details) VALUES (?, ?, ?, ?, ?)");
  for (let i = 1; i <= 40; i++) {
    put.run(i, "dhcp.ack", MACS[(i * 3) % MACS.length]!, i % 4 === 0 ? null : `198.18.4.${i}`, JSON.stringify({ i }));
  }
  // What the schema 2 database answered through its events_by_mac index.
  const want = MACS.map((mac) => [oldQuery(v2, mac, undefined, undefined), oldQuery(v2, mac, 25, 2)]);
  v2.close();
  const s = openSqliteStore({ path });
  assert.deepEqual(MACS.map((mac) => [s.events({ mac }), s.events({ mac, afterId: 25, limit: 2 })]), want);
  assert.equal(want[0]![0]!.length, 10);
  record(s, 9);
  assertByMacAsUnfiltered(s, "migrated, then more");
  await s.close();
  const db = new Database(path, { readonly: true });
  assert.equal(db.pragma("user_version", { simple: true }), 3);
  const indexes = db.prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'events'").pluck().all() as string[];
  assert.ok(!indexes.includes("events_by_mac"), `events_by_mac still there: ${indexes.join(", ")}`);
  db.close();
}));
