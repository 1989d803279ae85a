/** The heartbeat record's arithmetic (src/lab/heartbeat.ts): parse, counter breaks, gaps around marks, percentiles. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { allGaps, counterBreaks, figures, gapsAfterMarks, largestGap, parseHeartbeat } from "../../src/lab/heartbeat.js";

const record = ["1 10.00", "2 10.12", "3 10.24", "4 10.90", "5 11.02", "6 11.14", "7 14.50", "8 14.62", ""].join("\n");

test("parse: complete lines only; a malformed line is an error", () => {
  assert.equal(parseHeartbeat(record).length, 8);
  assert.equal(parseHeartbeat(`${record}9 14.7`).length, 8, "the last line is still being written");
  assert.deepEqual(parseHeartbeat("1 5\n")[0], { n: 1, uptimeS: 5 });
  assert.throws(() => parseHeartbeat("1 10.0\nx 2\n"), /malformed line "x 2"/);
});

test("counter breaks: a lost or doubled write shows", () => {
  assert.deepEqual(counterBreaks(parseHeartbeat(record)), []);
  assert.deepEqual(counterBreaks(parseHeartbeat("1 1\n2 2\n4 3\n")), ["line 3 has counter 4"]);
});

test("gaps: per mark, from its last beat to the next mark's", () => {
  const beats = parseHeartbeat(record);
  assert.deepEqual(allGaps(beats), [0.12, 0.12, 0.66, 0.12, 0.12, 3.36, 0.12]);
  assert.equal(largestGap(beats, 0, 99), 3.36);
  // A mark after 3 beats (the gap 3->4 is its), the next after 6 beats (the gap 6->7).
  assert.deepEqual(gapsAfterMarks(beats, [{ what: "out", beatsBefore: 3 }, { what: "back", beatsBefore: 6 }]), [
    { what: "out", gapS: 0.66 },
    { what: "back", gapS: 3.36 },
  ]);
  assert.deepEqual(gapsAfterMarks(beats, [{ what: "late", beatsBefore: 8 }]), [{ what: "late", gapS: 0 }], "no beat after the mark yet");
});

test("figures: nearest-rank p50 and p99, max", () => {
  assert.deepEqual(figures([]), { count: 0, p50: 0, p99: 0, max: 0 });
  assert.deepEqual(figures([0.3, 0.1, 0.2]), { count: 3, p50: 0.2, p99: 0.3, max: 0.3 });
  const hundred = Array.from({ length: 100 }, (_, i) => (i + 1) / 100);
  assert.deepEqual(figures(hundred), { count: 100, p50: 0.5, p99: 0.99, max: 1 });
});
