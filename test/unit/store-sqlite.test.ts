import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { openSqliteStore, SCHEMA_VERSION } from "../../src/store/index.js";
import { GroupCommit } from "../../src/store/group-commit.js";
import { packBatch } from "../../src/store/sqlite-ops.js";
import { MIGRATIONS } from "../../src/store/migrations.js";
import { LaggbootError } from "../../src/errors.js";
import { lease } from "./store-contract.js";

function tempDb(): { path: string; done: () => void } {
  const dir = mkdtempSync(join(tmpdir(), "lb-store-"));
  return { path: join(dir, "leases.db"), done: () => rmSync(dir, { recursive: true, force: true }) };
}

test("sqlite: a restart keeps every lease, bad address and event", async () => {
  const { path, done } = tempDb();
  try {
    const a = openSqliteStore({ path });
    const leases = Array.from({ length: 50 }, (_, i) => lease(i + 1, { hostName: `h${i}` }));
    await Promise.all(leases.map((l) => a.commitLease(l)));
    await a.markBadAddress({ ip: "198.18.1.200", mac: "02:00:00:00:00:c8", network: "lab", sinceMs: 1, untilMs: 10 ** 15 });
    a.recordEvent({ atMs: 5, kind: "dhcp.ack", mac: leases[0]!.mac, ip: leases[0]!.ip, details: { xid: 7 } });
    await a.close();
    const b = openSqliteStore({ path });
    assert.deepEqual(b.listLeases(), a.listLeases());
    assert.equal(b.listLeases().length, 50);
    assert.equal(b.isBadAddress("198.18.1.200", 2), true);
    assert.deepEqual(b.events().map((e) => [e.kind, e.details]), [["dhcp.ack", { xid: 7 }]]);
    await b.close();
  } finally {
    done();
  }
});

test("sqlite: schema is versioned and the journal is WAL", async () => {
  const { path, done } = tempDb();
  try {
    await openSqliteStore({ path }).close();
    await openSqliteStore({ path }).close(); // re-open runs no migration twice
    const db = new Database(path, { readonly: true });
    assert.equal(db.pragma("user_version", { simple: true }), SCHEMA_VERSION);
    assert.equal(db.pragma("journal_mode", { simple: true }), "wal");
    db.close();
  } finally {
    done();
  }
});

test("sqlite: a database from a newer laggboot is refused with LB_ERR_STORE_VERSION", () => {
  const { path, done } = tempDb();
  try {
    const db = new Database(path);
    db.pragma(`user_version = ${SCHEMA_VERSION + 1}`);
    db.close();
    assert.throws(() => openSqliteStore({ path }), (e: unknown) => e instanceof LaggbootError && e.code === "LB_ERR_STORE_VERSION");
  } finally {
    done();
  }
});

test("sqlite: a file that is not a database is refused with LB_ERR_STORE", () => {
  assert.throws(() => openSqliteStore({ path: "/proc/version" }), (e: unknown) => e instanceof LaggbootError && e.code === "LB_ERR_STORE");
});

test("sqlite: commits made in one event-loop turn share one transaction", async () => {
  const { path, done } = tempDb();
  try {
    const s = openSqliteStore({ path });
    await Promise.all(Array.from({ length: 200 }, (_, i) => s.commitLease(lease(i % 250, { ip: `198.18.2.${i}` }))));
    assert.deepEqual(s.commitStats, { batches: 1, ops: 200 });
    await s.commitLease(lease(1));
    assert.equal(s.commitStats.batches, 2);
    await s.close();
  } finally {
    done();
  }
});

test("sqlite: events beyond maxEvents are pruned oldest first", async () => {
  const { path, done } = tempDb();
  try {
    const s = openSqliteStore({ path, maxEvents: 10 });
    for (let i = 0; i < 25; i++) s.recordEvent({ atMs: i, kind: "k", mac: "m", details: { i } });
    await s.commitLease(lease(1)); // carries the events
    for (let i = 25; i < 40; i++) s.recordEvent({ atMs: i, kind: "k", mac: "m", details: { i } });
    const got = s.events({ limit: 100 });
    assert.ok(got.length <= 25 && got.length >= 10, `kept ${got.length}`);
    assert.equal(got[0]!.details["i"], 39);
    await s.close();
  } finally {
    done();
  }
});

test("group commit: a failed batch rejects each of its writers and calls onFailure", async () => {
  let failures = 0;
  const written: number[][] = [];
  const gc = new GroupCommit<number>({
    writeBatch: (ops) => {
      if (ops.includes(13)) throw new Error("disk full");
      written.push([...ops]);
    },
    onFailure: () => failures++,
  });
  const ok = [gc.submit(1), gc.submit(2)];
  await Promise.all(ok);
  const bad = [gc.submit(3), gc.submit(13)];
  for (const p of bad) await assert.rejects(p, /disk full/);
  assert.equal(failures, 1);
  gc.enqueue(4);
  await gc.submit(5);
  assert.deepEqual(written, [[1, 2], [4, 5]]);
});

test("group commit: maxBatch writes a full batch at once", async () => {
  const written: number[][] = [];
  const gc = new GroupCommit<number>({ writeBatch: (ops) => void written.push([...ops]), maxBatch: 3, windowMs: 10_000 });
  const ps = [1, 2, 3, 4].map((n) => gc.submit(n));
  assert.deepEqual(written, [[1, 2, 3]], "the third write started the batch without waiting for the window");
  // The fourth starts as soon as the first batch is done, not after the 10 s window.
  await Promise.all(ps);
  assert.deepEqual(written, [[1, 2, 3], [4]]);
});

for (const writerThread of [true, false]) {
  test(`sqlite (${writerThread ? "writer thread" : "inline"}): a failed batch rejects its writers, the view returns to the database, later writes survive`, async () => {
    const { path, done } = tempDb();
    try {
      // Window 0: the write after setImmediate below is queued behind the failing batch, not inside it.
      const s = openSqliteStore({ path, writerThread, commitWindowMs: 0 });
      await s.commitLease(lease(1));
      // A state the schema's CHECK refuses makes the whole batch fail.
      const storeError = (e: unknown): boolean => e instanceof LaggbootError && e.code === "LB_ERR_STORE";
      const bad = assert.rejects(s.commitLease(lease(2, { state: "bogus" as "bound" })), storeError);
      const sameBatch = assert.rejects(s.commitLease(lease(3)), storeError);
      await new Promise((r) => setImmediate(r));
      const later = s.commitLease(lease(4)); // queued behind the failing batch (writer thread) or in its own
      await bad;
      await sameBatch;
      await later;
      assert.deepEqual(s.listLeases().map((l) => l.ip), ["198.18.1.1", "198.18.1.4"]);
      await s.close();
      const again = openSqliteStore({ path });
      assert.deepEqual(again.listLeases().map((l) => l.ip), ["198.18.1.1", "198.18.1.4"]);
      await again.close();
    } finally {
      done();
    }
  });
}

test("packBatch: only the last write per address and table goes out; events all stay, in order", () => {
  const held = lease(1, { state: "offered" });
  const bound = lease(1, { state: "bound" });
  const bad = { ip: "198.18.1.9", mac: "02:00:00:00:00:09", network: "lab", sinceMs: 1, untilMs: 2 };
  const packed = packBatch([
    { t: "lease", lease: held },
    { t: "event", id: 1, atMs: 1, kind: "dhcp.offer", mac: held.mac, ip: held.ip, json: '{"n":1}' },
    { t: "lease", lease: lease(2) },
    { t: "bad", bad },
    { t: "lease", lease: bound },
    { t: "remove", ip: lease(2).ip },
    { t: "unbad", ip: bad.ip },
    { t: "bad", bad: { ...bad, ip: lease(1).ip } }, // same address as the lease: another table, kept
    { t: "event", id: 2, atMs: 2, kind: "dhcp.ack", mac: held.mac, ip: held.ip, json: '{"n":2}' },
  ]);
  const records: (string | number | null)[][] = [];
  const widths: Record<number, number> = { 0: 9, 1: 2, 2: 6, 3: 2, 4: 6 };
  const flat = packed.records;
  for (let i = 0; i < flat.length; i += widths[flat[i] as number]!) records.push(flat.slice(i, i + widths[flat[i] as number]!));
  assert.deepEqual(records.map((r) => [r[0], r[0] === 4 ? r[3] : r[1]]), [
    [4, "dhcp.offer"], [0, bound.ip], [1, lease(2).ip], [3, bad.ip], [2, lease(1).ip], [4, "dhcp.ack"],
  ]);
  assert.equal(records[1]![4], "bound", "the bound lease, not the hold, is what is written");
  assert.deepEqual(packed.details, ['{"n":1}', '{"n":2}'], "the events' details travel beside the records, in event order");
});

test("sqlite: a hold and its bound lease in one batch end as the bound lease after a restart", async () => {
  const { path, done } = tempDb();
  try {
    const s = openSqliteStore({ path, commitWindowMs: 50 });
    void s.commitLease(lease(1, { state: "offered" }));
    await Promise.all([s.commitLease(lease(1, { state: "bound" })), s.commitLease(lease(2)), s.removeLease(lease(2).ip)]);
    assert.equal(s.commitStats.batches, 1, "the writes shared one batch");
    await s.close();
    const again = openSqliteStore({ path });
    assert.deepEqual(again.listLeases(), [lease(1, { state: "bound" })]);
    await again.close();
  } finally {
    done();
  }
});

test("sqlite: a version 1 database is migrated to the current schema with its leases and events", async () => {
  const { path, done } = tempDb();
  try {
    const v1 = new Database(path);
    v1.exec(MIGRATIONS[0]!);
    v1.pragma("user_version = 1");
    v1.prepare("INSERT INTO leases (ip, mac, network, state, start_ms, expires_ms) VALUES (?, ?, ?, ?, ?, ?)")
      .run("198.18.1.1", lease(1).mac, "lab", "bound", lease(1).startMs, lease(1).expiresMs);
    v1.prepare("INSERT INTO events (at_ms, kind, mac, ip, details) VALUES (5, 'dhcp.ack', ?, '198.18.1.1', '{}')").run(lease(1).mac);
    v1.close();
    const s = openSqliteStore({ path });
    assert.deepEqual(s.listLeases(), [lease(1)]);
    assert.deepEqual(s.events({ mac: lease(1).mac }).map((e) => e.kind), ["dhcp.ack"]);
    await s.close();
    const db = new Database(path, { readonly: true });
    assert.equal(db.pragma("user_version", { simple: true }), SCHEMA_VERSION);
    const indexes = (db.prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'leases'").all() as { name: string }[])
      .map((r) => r.name);
    assert.ok(!indexes.includes("leases_by_mac"), `leases_by_mac still there: ${indexes.join(", ")}`);
    db.close();
  } finally {
    done();
  }
});
