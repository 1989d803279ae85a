import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { ACK_RESULT, Sender, lastIndex, type SenderAction, type SenderConfig } from "../../src/protocol/tftp/index.js";
import { simulateRead } from "../support/tftp-sim.js";

const base: SenderConfig = {
  sizeBytes: 2048,
  blockSize: 512,
  windowSize: 1,
  sendOack: false,
  maxRetries: 3,
  oackFallbackAfterRepeats: 2,
  initialRtoMs: 100,
  minRtoMs: 10,
  maxRtoMs: 1000,
};
const sends = (acts: SenderAction[]): string[] =>
  acts.filter((a) => a.type !== "armTimer").map((a) => (a.type === "sendData" ? `D${a.first}-${a.last}${a.retransmit ? "r" : ""}` : a.type === "finish" ? `finish:${a.outcome}` : a.type));

test("lockstep: DATA 1 first, one block per new ACK, done on the last ACK; an exact multiple ends with an empty block", () => {
  const s = new Sender(base);
  assert.equal(s.lastIndex, 5); // 2048 / 512 = 4 full blocks + 1 empty
  assert.deepEqual(sends(s.handle({ type: "start", nowMs: 0 })), ["D1-1"]);
  for (let b = 1; b <= 4; b++) assert.deepEqual(sends(s.handle({ type: "ack", block: b, nowMs: b })), [`D${b + 1}-${b + 1}`]);
  assert.deepEqual(sends(s.handle({ type: "ack", block: 5, nowMs: 9 })), ["finish:ok"]);
  assert.ok(s.done);
  assert.deepEqual(s.handle({ type: "ack", block: 5, nowMs: 10 }), []);
});

test("an empty file is one empty block", () => {
  assert.equal(lastIndex(0, 512), 1);
  const s = new Sender({ ...base, sizeBytes: 0 });
  assert.deepEqual(sends(s.handle({ type: "start", nowMs: 0 })), ["D1-1"]);
  assert.deepEqual(sends(s.handle({ type: "ack", block: 1, nowMs: 1 })), ["finish:ok"]);
});

test("Sorcerer's Apprentice: a duplicate ACK sends nothing; only the timer resends", () => {
  const s = new Sender(base);
  s.handle({ type: "start", nowMs: 0 });
  assert.deepEqual(sends(s.handle({ type: "ack", block: 1, nowMs: 1 })), ["D2-2"]);
  assert.deepEqual(s.handle({ type: "ack", block: 1, nowMs: 2 }), []);
  assert.deepEqual(s.handle({ type: "ack", block: 1, nowMs: 3 }), []);
  assert.equal(s.counters.duplicateAcks, 2);
  assert.deepEqual(sends(s.handle({ type: "timeout", nowMs: 200 })), ["D2-2r"]);
});

test("stale ACKs (behind the window or ahead of what was sent) are ignored", () => {
  const s = new Sender({ ...base, sizeBytes: 10_000, windowSize: 4 });
  assert.deepEqual(sends(s.handle({ type: "start", nowMs: 0 })), ["D1-4"]);
  assert.deepEqual(s.handle({ type: "ack", block: 9, nowMs: 1 }), []);
  assert.deepEqual(s.handle({ type: "ack", block: 65535, nowMs: 1 }), []);
  assert.equal(s.counters.staleAcks, 2);
  assert.deepEqual(sends(s.handle({ type: "ack", block: 4, nowMs: 2 })), ["D5-8"]);
});

test("windowed (RFC 7440): a partial ACK restarts the window after the acknowledged block", () => {
  const s = new Sender({ ...base, sizeBytes: 100 * 512, windowSize: 8 });
  assert.deepEqual(sends(s.handle({ type: "start", nowMs: 0 })), ["D1-8"]);
  assert.deepEqual(sends(s.handle({ type: "ack", block: 3, nowMs: 1 })), ["D4-11"]);
  assert.deepEqual(s.handle({ type: "ack", block: 3, nowMs: 2 }), []);
  assert.deepEqual(sends(s.handle({ type: "timeout", nowMs: 500 })), ["D4-11r"]);
});

test("retries are bounded: after maxRetries timeouts the transfer ends with timeout", () => {
  const s = new Sender(base);
  s.handle({ type: "start", nowMs: 0 });
  for (let i = 0; i < 3; i++) assert.deepEqual(sends(s.handle({ type: "timeout", nowMs: i })), ["D1-1r"]);
  assert.deepEqual(sends(s.handle({ type: "timeout", nowMs: 9 })), ["finish:timeout"]);
});

test("the timeout backs off exponentially, bounded by maxRtoMs", () => {
  const s = new Sender({ ...base, maxRetries: 10 });
  const delays: number[] = [];
  const grab = (a: SenderAction[]): void => {
    for (const x of a) if (x.type === "armTimer") delays.push(x.delayMs);
  };
  grab(s.handle({ type: "start", nowMs: 0 }));
  for (let i = 0; i < 6; i++) grab(s.handle({ type: "timeout", nowMs: 0 }));
  assert.deepEqual(delays, [100, 200, 400, 800, 1000, 1000, 1000]);
});

test("OACK: waits for ACK 0, then DATA 1; other ACKs are stale", () => {
  const s = new Sender({ ...base, sendOack: true });
  assert.deepEqual(sends(s.handle({ type: "start", nowMs: 0 })), ["sendOack"]);
  assert.deepEqual(s.handle({ type: "ack", block: 1, nowMs: 1 }), []);
  assert.deepEqual(sends(s.handle({ type: "timeout", nowMs: 100 })), ["sendOack"]);
  assert.deepEqual(sends(s.handle({ type: "ack", block: 0, nowMs: 101 })), ["D1-1"]);
});

test("UEFI size probe: ERROR 8 after the OACK ends as 'probe'; other errors as 'cancelled'", () => {
  const s = new Sender({ ...base, sendOack: true });
  s.handle({ type: "start", nowMs: 0 });
  assert.deepEqual(s.handle({ type: "error", code: 8, nowMs: 1 }), [{ type: "finish", outcome: "probe", clientErrorCode: 8 }]);
  const t = new Sender(base);
  t.handle({ type: "start", nowMs: 0 });
  assert.deepEqual(t.handle({ type: "error", code: 0, nowMs: 1 }), [{ type: "finish", outcome: "cancelled", clientErrorCode: 0 }]);
});

test("a client that ignores the OACK (repeats its RRQ) gets the OACK once more, then RFC 1350 defaults", () => {
  const s = new Sender({ ...base, sizeBytes: 3000, blockSize: 1468, windowSize: 4, sendOack: true });
  s.handle({ type: "start", nowMs: 0 });
  assert.deepEqual(sends(s.handle({ type: "requestRepeated", nowMs: 1 })), ["sendOack"]);
  assert.deepEqual(sends(s.handle({ type: "requestRepeated", nowMs: 2 })), ["D1-1"]);
  assert.equal(s.blockSize, 512);
  assert.equal(s.windowSize, 1);
  assert.equal(s.lastIndex, 6);
  // Once sending, a repeated request changes nothing.
  assert.deepEqual(s.handle({ type: "requestRepeated", nowMs: 3 }), []);
});

test("rollover: block numbers wrap 65535 -> 0 and ACKs map to the right absolute block", () => {
  const size = 70_000 * 8 + 3;
  const s = new Sender({ ...base, sizeBytes: size, blockSize: 8, windowSize: 16 });
  let acts = s.handle({ type: "start", nowMs: 0 });
  let finished = false;
  let steps = 0;
  while (!finished) {
    const d = acts.find((a) => a.type === "sendData");
    assert.ok(d && d.type === "sendData");
    // The client acknowledges the wire number of the window's last block.
    acts = s.handle({ type: "ack", block: d.last % 65536, nowMs: steps });
    finished = acts.some((a) => a.type === "finish" && a.outcome === "ok");
    steps++;
  }
  assert.equal(s.ackedIndex, 70_001);
  assert.equal(steps, Math.ceil(70_001 / 16));
});

test("rollover: an ACK of 0 right after the wrap advances, a late ACK 65535 is a duplicate", () => {
  const s = new Sender({ ...base, sizeBytes: 70_000 * 8, blockSize: 8, windowSize: 1 });
  s.handle({ type: "start", nowMs: 0 });
  for (let b = 1; b <= 65535; b++) s.handle({ type: "ack", block: b, nowMs: 0 });
  assert.equal(s.ackedIndex, 65535);
  assert.deepEqual(sends(s.handle({ type: "ack", block: 0, nowMs: 0 })), ["D65537-65537"]);
  assert.deepEqual(s.handle({ type: "ack", block: 65535, nowMs: 0 }), []);
});

test("the round-trip estimate lowers the timeout on a fast network (Karn: no samples from resends)", () => {
  const s = new Sender({ ...base, sizeBytes: 512 * 50, initialRtoMs: 500 });
  s.handle({ type: "start", nowMs: 0 });
  for (let b = 1; b <= 20; b++) s.handle({ type: "ack", block: b, nowMs: b * 1 });
  assert.equal(s.rtoMs, 10); // clamped at minRtoMs
});

test("simulation, clean network: duplicated ACKs never cause a resend (no Sorcerer's Apprentice)", () => {
  for (const windowSize of [1, 4, 16]) {
    const r = simulateRead({
      sizeBytes: 300 * 512 + 100,
      blockSize: 512,
      windowSize,
      sendOack: true,
      seed: 7 + windowSize,
      net: { lossRate: 0, dupRate: 0.5, minDelayMs: 1, maxDelayMs: 1, dupToServerOnly: true },
    });
    assert.equal(r.outcome, "ok");
    assert.equal(r.accepted.length, 301);
    assert.ok(r.duplicateAcks > 0, "the network did duplicate ACKs");
    assert.equal(r.blocksResent, 0, `window ${windowSize}`);
    assert.equal(r.blocksSent, 301);
  }
});

test("simulation, lockstep with every packet duplicated both ways: still no block sent twice", () => {
  const r = simulateRead({
    sizeBytes: 500 * 512,
    blockSize: 512,
    windowSize: 1,
    sendOack: false,
    seed: 99,
    net: { lossRate: 0, dupRate: 1, minDelayMs: 1, maxDelayMs: 1 },
  });
  assert.equal(r.outcome, "ok");
  assert.equal(r.blocksResent, 0);
  assert.equal(r.blocksSent, 501);
});

test("property: under loss, reordering and duplication every transfer completes intact with bounded traffic", () => {
  fc.assert(
    fc.property(
      fc.record({
        blocks: fc.integer({ min: 0, max: 400 }),
        tail: fc.integer({ min: 0, max: 63 }),
        windowSize: fc.constantFrom(1, 2, 4, 8, 16),
        sendOack: fc.boolean(),
        lossRate: fc.constantFrom(0, 0.05, 0.1, 0.2),
        dupRate: fc.constantFrom(0, 0.1, 0.3),
        jitterMs: fc.constantFrom(0, 2, 10),
        seed: fc.integer(),
      }),
      (p) => {
        const sizeBytes = p.blocks * 64 + p.tail;
        const r = simulateRead({
          sizeBytes,
          blockSize: 64,
          windowSize: p.windowSize,
          sendOack: p.sendOack,
          seed: p.seed,
          maxRetries: 30,
          net: { lossRate: p.lossRate, dupRate: p.dupRate, minDelayMs: 1, maxDelayMs: 1 + p.jitterMs },
        });
        const last = lastIndex(sizeBytes, 64);
        assert.ok(r.clientDone, "client finished");
        assert.deepEqual(r.accepted, Array.from({ length: last }, (_, i) => i + 1));
        assert.equal(r.acceptedBytes, sizeBytes);
        assert.equal(r.outcome, "ok");
        // Each block goes out at most a few windows' worth of times.
        assert.ok(r.blocksSent <= last * p.windowSize * 6 + 200, `sent ${r.blocksSent} for ${last} blocks`);
      },
    ),
    { numRuns: 300 },
  );
});

test("after three unanswered doublings the timeout jumps to the maximum, and drops back on progress", () => {
  const s = new Sender({ ...base, maxRetries: 10, initialRtoMs: 20, minRtoMs: 20, maxRtoMs: 6000 });
  const delays: number[] = [];
  const grab = (a: SenderAction[]): void => {
    for (const x of a) if (x.type === "armTimer") delays.push(x.delayMs);
  };
  grab(s.handle({ type: "start", nowMs: 0 }));
  for (let i = 0; i < 5; i++) grab(s.handle({ type: "timeout", nowMs: 0 }));
  grab(s.handle({ type: "ack", block: 1, nowMs: 1 }));
  assert.deepEqual(delays, [20, 40, 80, 160, 6000, 6000, 20]);
});

test("property: ack() (the allocation-free path) decides exactly as handle() for any event sequence", () => {
  type Ev = { t: "ack"; block: number } | { t: "timeout" } | { t: "repeat" } | { t: "error"; code: number };
  const event = fc.oneof(
    { weight: 8, arbitrary: fc.integer({ min: 0, max: 12 }).map((block): Ev => ({ t: "ack", block })) },
    { weight: 1, arbitrary: fc.constant<Ev>({ t: "timeout" }) },
    { weight: 1, arbitrary: fc.constant<Ev>({ t: "repeat" }) },
    { weight: 1, arbitrary: fc.integer({ min: 0, max: 8 }).map((code): Ev => ({ t: "error", code })) },
  );
  fc.assert(
    fc.property(
      fc.record({
        sizeBytes: fc.integer({ min: 0, max: 6000 }),
        windowSize: fc.integer({ min: 1, max: 4 }),
        sendOack: fc.boolean(),
        events: fc.array(event, { maxLength: 60 }),
      }),
      ({ sizeBytes, windowSize, sendOack, events }) => {
        const cfg = { ...base, sizeBytes, windowSize, sendOack };
        const a = new Sender(cfg);
        const b = new Sender(cfg);
        assert.deepEqual(b.handle({ type: "start", nowMs: 0 }), a.handle({ type: "start", nowMs: 0 }));
        events.forEach((e, i) => {
          const nowMs = (i + 1) * 3;
          if (e.t === "ack") {
            const want = a.handle({ type: "ack", block: e.block, nowMs });
            const r = b.ack(e.block, nowMs);
            const got: SenderAction[] =
              r === ACK_RESULT.USE_HANDLE
                ? b.handle({ type: "ack", block: e.block, nowMs })
                : r === ACK_RESULT.SEND_WINDOW
                  ? [
                      { type: "sendData", first: b.windowFirst, last: b.windowLast, retransmit: false },
                      { type: "armTimer", delayMs: b.rtoMs },
                    ]
                  : r === ACK_RESULT.FINISHED
                    ? [{ type: "finish", outcome: "ok" }]
                    : [];
            assert.deepEqual(got, want);
          } else {
            const ev =
              e.t === "timeout"
                ? ({ type: "timeout", nowMs } as const)
                : e.t === "repeat"
                  ? ({ type: "requestRepeated", nowMs } as const)
                  : ({ type: "error", code: e.code, nowMs } as const);
            assert.deepEqual(b.handle(ev), a.handle(ev));
          }
          assert.deepEqual(b.counters, a.counters);
          assert.equal(b.ackedIndex, a.ackedIndex);
          assert.equal(b.done, a.done);
          assert.equal(b.rtoMs, a.rtoMs);
        });
      },
    ),
    { numRuns: 300 },
  );
});
