/**
 * The hand-over between the native data path and the Sender, with a fake
 * native side: what JS grants, how the log of natively answered ACKs is
 * replayed through the Sender (and a log the Sender disagrees with is
 * caught), and which events stay JavaScript's (duplicates, the final window,
 * ERROR, the client gone, the timer).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { Sender, type SenderConfig } from "../../src/protocol/tftp/index.js";
import { decode, encode } from "../../src/wire/tftp/index.js";
import { NativeReadTransfer } from "../../src/servers/tftp/native-transfer.js";
import { NATIVE_EVENT, NATIVE_RESULT, type NativeAddon, type NativeTransfer } from "../../src/servers/tftp/native.js";
import type { TransferResult } from "../../src/servers/tftp/read-transfer.js";

const clock = { t: 0 };

class FakeTransfer implements NativeTransfer {
  static last: FakeTransfer;
  readonly datagrams: Buffer[] = [];
  readonly blocks: [number, number][] = [];
  readonly grants: (number | boolean)[][] = [];
  revokes = 0;
  closed = false;
  nextResult = 0;
  constructor(
    _local: string,
    _client: string,
    _port: number,
    _fd: number,
    _size: number,
    readonly log: Float64Array,
    readonly onEvent: (kind: number, value: number, packet: Buffer | undefined) => void,
  ) {
    FakeTransfer.last = this;
  }
  send(msg: Buffer): number {
    this.datagrams.push(msg);
    return 0;
  }
  sendBlocks(first: number, last: number): number {
    this.blocks.push([first, last]);
    return this.nextResult;
  }
  grant(...args: (number | boolean)[]): void {
    this.grants.push(args);
    this.log[0] = 0;
  }
  revoke(): void {
    this.revokes++;
  }
  close(): void {
    this.closed = true;
  }
  lastErrno(): number {
    return 5;
  }
  localPort(): number {
    return 40000;
  }
  usesGso(): boolean {
    return false;
  }
  /** What the native side does for an ACK inside its grant: send the next window and log it. */
  answered(block: number, atMs: number, first: number, last: number): void {
    const n = this.log[0]!;
    this.log.set([block, atMs, first, last], 1 + 4 * n);
    this.log[0] = n + 1;
  }
}

const addon: NativeAddon = { Transfer: FakeTransfer, now: () => clock.t, spinMicros: 0 };

const BS = 512;
/** 10 full blocks and a short 11th: lastIndex 11, so the native side's limit is block 10. */
const SIZE = BS * 10 + 7;

function setup(over: Partial<SenderConfig> = {}): { sender: Sender; nt: FakeTransfer; t: NativeReadTransfer; results: TransferResult[] } {
  clock.t = 0;
  const sender = new Sender({
    sizeBytes: SIZE,
    blockSize: BS,
    windowSize: 2,
    sendOack: false,
    maxRetries: 3,
    oackFallbackAfterRepeats: 2,
    initialRtoMs: 100,
    minRtoMs: 50,
    maxRtoMs: 1000,
    ...over,
  });
  const results: TransferResult[] = [];
  const source = { sizeBytes: SIZE, fd: 99, readv: () => Promise.resolve(0), close: () => Promise.resolve() };
  const setupNative = {
    addon,
    localAddress: "127.0.0.1",
    client: { address: "127.0.0.1", port: 9 },
    gso: false,
    decode: (b: Buffer) => {
      try {
        return decode(b);
      } catch {
        return undefined;
      }
    },
  };
  const t = new NativeReadTransfer(sender, source, [{ name: "blksize", value: "512" }], setupNative, (r) => results.push(r));
  return { sender, nt: FakeTransfer.last, t, results };
}

/** The native side answers ACKs 2, 4, 6 and 8 (window 2): everything up to the window that ends at the limit. */
function answerUpToBlock10(nt: FakeTransfer): void {
  for (const ack of [2, 4, 6, 8]) nt.answered(ack, ack, ack + 1, ack + 2);
}

async function until(cond: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 300 && !cond(); i++) await new Promise((r) => setTimeout(r, 10));
  assert.ok(cond(), what);
}

test("start: JS sends the first window and grants the Sender's state (acked, sent, window, limit = last block - 1)", () => {
  const { nt, t } = setup();
  t.start();
  assert.deepEqual(nt.blocks, [[1, 2]]);
  assert.deepEqual(nt.grants.at(-1), [0, 2, 2, 10, BS, false]);
  assert.equal(t.localPort, 40000);
  t.abort("test over");
});

test("natively answered ACKs are replayed through the Sender before a handed-back duplicate is judged", () => {
  const { sender, nt, t } = setup();
  t.start();
  nt.answered(2, 5, 3, 4);
  nt.answered(4, 10, 5, 6);
  clock.t = 12;
  nt.onEvent(NATIVE_EVENT.ACK, 4, undefined);
  assert.equal(sender.ackedIndex, 4);
  assert.equal(sender.counters.duplicateAcks, 1);
  assert.deepEqual(nt.blocks, [[1, 2]], "a duplicate ACK never resends (Sorcerer's Apprentice)");
  assert.equal(t.nativeAcks, 2);
  assert.equal(sender.counters.blocksSent, 6);
  assert.deepEqual(nt.grants.at(-1), [4, 6, 2, 10, BS, false]);
  t.abort("test over");
});

test("a logged window the Sender would not have sent aborts the transfer (never diverges silently)", () => {
  const { nt, t, results } = setup();
  t.start();
  nt.answered(2, 5, 3, 5);
  nt.onEvent(NATIVE_EVENT.LOG_FULL, 0, undefined);
  assert.equal(results.length, 1);
  assert.equal(results[0]!.outcome, "failed");
  assert.match(results[0]!.reason ?? "", /out of step/);
  assert.equal(decode(nt.datagrams.at(-1)!).type, "ERROR");
  assert.ok(nt.closed);
});

test("the window with the final block and the final ACK are JavaScript's", () => {
  const { nt, t, results } = setup();
  t.start();
  answerUpToBlock10(nt);
  // ACK 10 would open a window with block 11 (past the limit): handed back.
  nt.onEvent(NATIVE_EVENT.ACK, 10, undefined);
  assert.deepEqual(nt.blocks, [
    [1, 2],
    [11, 11],
  ]);
  assert.equal(results.length, 0);
  nt.onEvent(NATIVE_EVENT.ACK, 11, undefined);
  assert.equal(results[0]?.outcome, "ok");
  assert.equal(results[0]?.bytes, SIZE);
  assert.ok(nt.closed);
});

test("a handed-back ERROR cancels with the client's code; an OACK transfer grants only after ACK 0", () => {
  const { nt, t, results } = setup({ sendOack: true });
  t.start();
  assert.equal(decode(nt.datagrams[0]!).type, "OACK");
  assert.equal(nt.grants.length, 0);
  assert.ok(nt.revokes > 0);
  nt.onEvent(NATIVE_EVENT.ACK, 0, undefined);
  assert.deepEqual(nt.blocks, [[1, 2]]);
  assert.deepEqual(nt.grants.at(-1), [0, 2, 2, 10, BS, false]);
  nt.onEvent(NATIVE_EVENT.PACKET, 0, encode({ type: "ERROR", code: 3, message: "disk full" }));
  assert.equal(results[0]?.outcome, "cancelled");
  assert.equal(results[0]?.clientErrorCode, 3);
});

test("the client gone: cancelled while blocks remain, ok once the last window went out", () => {
  const a = setup();
  a.t.start();
  a.nt.onEvent(NATIVE_EVENT.GONE, 0, undefined);
  assert.equal(a.results[0]?.outcome, "cancelled");
  assert.equal(a.results[0]?.reason, "client port unreachable");
  const b = setup();
  b.t.start();
  answerUpToBlock10(b.nt);
  b.nt.onEvent(NATIVE_EVENT.ACK, 10, undefined);
  b.nt.onEvent(NATIVE_EVENT.GONE, 0, undefined);
  assert.equal(b.results[0]?.outcome, "ok");
});

test("a short read from the file aborts the transfer: file changed", () => {
  const { nt, t, results } = setup();
  nt.nextResult = NATIVE_RESULT.SHORT;
  t.start();
  assert.equal(results[0]?.outcome, "failed");
  assert.equal(results[0]?.reason, "file changed during transfer");
});

test("the timer: native progress moves the deadline (no resend); silence after it resends the window from JS", async () => {
  const { sender, nt, t } = setup();
  t.start(); // armed for 100 ms at t=0
  nt.answered(2, 90, 3, 4);
  clock.t = 100;
  // The timer fires (real time), replays the log and finds the deadline moved past now.
  await until(() => t.nativeAcks === 1, "the timer replayed the log");
  assert.deepEqual(nt.blocks, [[1, 2]]);
  assert.equal(sender.counters.timeouts, 0);
  assert.deepEqual(nt.grants.at(-1), [2, 4, 2, 10, BS, false]);
  clock.t = 10_000;
  await until(() => nt.blocks.length === 2, "the timer resent");
  assert.deepEqual(nt.blocks[1], [3, 4]);
  assert.equal(sender.counters.timeouts, 1);
  assert.equal(sender.counters.blocksResent, 2);
  // After the resend the next ACK is JavaScript's (it re-arms the timer without the backoff).
  assert.deepEqual(nt.grants.at(-1), [2, 4, 2, 10, BS, true]);
  nt.onEvent(NATIVE_EVENT.ACK, 4, undefined);
  assert.deepEqual(nt.blocks[2], [5, 6]);
  assert.deepEqual(nt.grants.at(-1), [4, 6, 2, 10, BS, false]);
  t.abort("test over");
});
