/**
 * The order the DHCP server relies on for an ACK's event (types.ts,
 * recordEvent): an event recorded before a lease write is on disk once that
 * write resolves. Read back through a second connection, with the writer
 * thread and inline, and with a batch already in flight when both arrive.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { openSqliteStore } from "../../src/store/index.js";

for (const writerThread of [true, false]) {
  test(`sqlite (${writerThread ? "writer thread" : "inline"}): an event recorded before a lease write is durable when the write resolves`, async () => {
    const dir = mkdtempSync(join(tmpdir(), "lb-evorder-"));
    const path = join(dir, "l.sqlite");
    const store = openSqliteStore({ path, writerThread, commitWindowMs: 0, backgroundWindowMs: 10_000 });
    try {
      const lease = (n: number) => ({ ip: `198.18.0.${n}`, mac: `02:00:00:00:00:${n.toString(16).padStart(2, "0")}`, network: "lan", state: "bound" as const, startMs: 1, expiresMs: 2 });
      // A batch in flight first, so the pair below queues behind it.
      const first = store.commitLease(lease(1));
      store.recordEvent({ atMs: 5, kind: "dhcp.ack", mac: lease(2).mac, ip: lease(2).ip });
      await Promise.all([first, store.commitLease(lease(2))]);
      const reader = new Database(path, { readonly: true });
      try {
        const rows = reader.prepare("SELECT kind, mac FROM events").all() as { kind: string; mac: string }[];
        assert.deepEqual(rows, [{ kind: "dhcp.ack", mac: lease(2).mac }], "the event waited for the lazy window instead of riding the lease's batch");
      } finally {
        reader.close();
      }
    } finally {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
}
