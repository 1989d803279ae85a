import { test } from "node:test";
import assert from "node:assert/strict";
import { EventMacIndex } from "../../src/store/event-mac-index.js";

const ids = (ix: EventMacIndex, mac: string, afterId?: number): number[] => [...ix.newestFirst(mac, afterId)];

test("event mac index: ids per MAC, newest first, above afterId", () => {
  const ix = new EventMacIndex();
  ix.add(1, "a");
  ix.add(2, "b");
  ix.add(4, "a");
  ix.add(7, "a");
  assert.deepEqual(ids(ix, "a"), [7, 4, 1]);
  assert.deepEqual(ids(ix, "a", 1), [7, 4]);
  assert.deepEqual(ids(ix, "a", 6), [7]);
  assert.deepEqual(ids(ix, "a", 7), []);
  assert.deepEqual(ids(ix, "b"), [2]);
  assert.deepEqual(ids(ix, "c"), []);
  assert.equal(ix.size, 4);
  assert.equal(ix.macCount, 2);
});

test("event mac index: ids must come in ascending order", () => {
  const ix = new EventMacIndex();
  ix.add(5, "a");
  assert.throws(() => ix.add(5, "b"), /not above/);
  assert.throws(() => ix.add(3, "a"), /not above/);
  assert.equal(ix.size, 1);
});

test("event mac index: dropThrough forgets every id up to the horizon, across MACs, and empty MACs go", () => {
  const ix = new EventMacIndex();
  for (let id = 1; id <= 10; id++) ix.add(id, id % 2 === 0 ? "even" : "odd");
  ix.add(11, "once");
  ix.dropThrough(4);
  assert.deepEqual(ids(ix, "even"), [10, 8, 6]);
  assert.deepEqual(ids(ix, "odd"), [9, 7, 5]);
  assert.equal(ix.size, 7);
  ix.dropThrough(4); // again: nothing more
  assert.equal(ix.size, 7);
  ix.dropThrough(10);
  assert.deepEqual(ids(ix, "even"), []);
  assert.deepEqual(ids(ix, "odd"), []);
  assert.deepEqual(ids(ix, "once"), [11]);
  assert.equal(ix.macCount, 1);
  ix.add(12, "even");
  assert.deepEqual(ids(ix, "even"), [12]);
});

test("event mac index: a long run of drops and adds keeps exactly the ids above the horizon (compaction)", () => {
  const ix = new EventMacIndex();
  const macs = ["a", "b", "c"];
  const macOf = (id: number): string => macs[(id * 7) % 11 < 8 ? 0 : id % 3]!; // mostly "a": long lists
  const keep = 50;
  for (let id = 1; id <= 5000; id++) {
    ix.add(id, macOf(id));
    if (id % 37 === 0) ix.dropThrough(id - keep);
  }
  ix.dropThrough(5000 - keep);
  assert.equal(ix.size, keep);
  for (const mac of macs) {
    const want: number[] = [];
    for (let id = 5000; id > 5000 - keep; id--) if (macOf(id) === mac) want.push(id);
    assert.deepEqual(ids(ix, mac), want, mac);
  }
});

test("event mac index: removeRange takes out a failed batch's ids, before and after later ones", () => {
  const ix = new EventMacIndex();
  for (let id = 1; id <= 9; id++) ix.add(id, id <= 3 || id >= 7 ? "x" : "y");
  ix.removeRange(3, 5); // ids 3 (x), 4 and 5 (y)
  assert.deepEqual(ids(ix, "x"), [9, 8, 7, 2, 1]);
  assert.deepEqual(ids(ix, "y"), [6]);
  assert.equal(ix.size, 6);
  ix.removeRange(6, 6);
  assert.equal(ix.macCount, 1, "y has no ids left");
  ix.removeRange(20, 30); // nothing there
  assert.equal(ix.size, 5);
  ix.dropThrough(7); // drops still walk the remaining ids in order
  assert.deepEqual(ids(ix, "x"), [9, 8]);
  ix.add(10, "y");
  assert.deepEqual(ids(ix, "y"), [10]);
});
