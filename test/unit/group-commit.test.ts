/** GroupCommit: urgent writes start a batch at once; writes nobody waits for ride along or wait lazyMs. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { GroupCommit } from "../../src/store/group-commit.js";

const tick = (ms: number) => new Promise((r) => setTimeout(r, ms));

function recorder(lazyMs: number): { gc: GroupCommit<string>; batches: string[][] } {
  const batches: string[][] = [];
  const gc = new GroupCommit<string>({ writeBatch: (ops) => void batches.push([...ops]), windowMs: 0, lazyMs });
  return { gc, batches };
}

test("a write nobody waits for starts no batch before lazyMs", async () => {
  const { gc, batches } = recorder(200);
  gc.enqueue("event-1");
  await tick(50);
  assert.deepEqual(batches, [], "written too early");
  await tick(400);
  assert.deepEqual(batches, [["event-1"]]);
});

test("an urgent write carries the queued lazy ones along at once", async () => {
  const { gc, batches } = recorder(10_000);
  gc.enqueue("event-1");
  void gc.submit("offer-hold", false);
  await tick(20);
  assert.deepEqual(batches, []);
  await gc.submit("bound-lease");
  assert.deepEqual(batches, [["event-1", "offer-hold", "bound-lease"]]);
});

test("urgent writes arriving together share one batch; its callers settle with it", async () => {
  const { gc, batches } = recorder(1000);
  await Promise.all([gc.submit("a"), gc.submit("b"), gc.submit("c")]);
  assert.deepEqual(batches, [["a", "b", "c"]]);
  assert.equal(gc.batches, 1);
  assert.equal(gc.opsWritten, 3);
});

test("a failed batch rejects exactly its callers", async () => {
  let fail = true;
  const gc = new GroupCommit<string>({ writeBatch: () => { if (fail) throw new Error("disk full"); }, windowMs: 0 });
  const first = gc.submit("x");
  await assert.rejects(first, /disk full/);
  fail = false;
  await gc.submit("y");
});
