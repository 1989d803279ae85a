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

test("urgent writes within windowMs share one batch, which waits for the window", async () => {
  const batches: string[][] = [];
  const gc = new GroupCommit<string>({ writeBatch: (ops) => void batches.push([...ops]), windowMs: 300 });
  const a = gc.submit("ack-1");
  await tick(30);
  assert.deepEqual(batches, [], "the first write did not wait for company");
  const b = gc.submit("ack-2");
  await Promise.all([a, b]);
  assert.deepEqual(batches, [["ack-1", "ack-2"]]);
});

/** A writer whose first batch stays open until released. */
function heldFirstBatch(windowMs: number): { gc: GroupCommit<string>; batches: string[][]; release: () => void } {
  const batches: string[][] = [];
  let release = (): void => undefined;
  const held = new Promise<void>((resolve) => { release = resolve; });
  const gc = new GroupCommit<string>({
    writeBatch: (ops) => {
      batches.push([...ops]);
      return batches.length === 1 ? held : undefined;
    },
    windowMs,
  });
  return { gc, batches, release };
}

test("a write queued behind a batch in flight keeps its own window: it does not go the moment that batch ends", async () => {
  const { gc, batches, release } = heldFirstBatch(400);
  const first = gc.submit("ack-1");
  while (batches.length === 0) await tick(20);
  const second = gc.submit("ack-2"); // arrives while batch 1 is being written
  release();
  await first;
  await tick(0);
  assert.deepEqual(batches, [["ack-1"]], "the second write went without its window");
  await second;
  assert.deepEqual(batches, [["ack-1"], ["ack-2"]]);
});

test("a write whose window ended while a batch was in flight goes as soon as that batch ends", async () => {
  const { gc, batches, release } = heldFirstBatch(20);
  const first = gc.submit("ack-1");
  while (batches.length === 0) await tick(5);
  const second = gc.submit("ack-2");
  await tick(300); // far past ack-2's window, batch 1 still open
  assert.deepEqual(batches, [["ack-1"]]);
  release();
  await first;
  await tick(0);
  assert.deepEqual(batches, [["ack-1"], ["ack-2"]], "the second batch waited for a fresh window");
  await second;
});
