import { test } from "node:test";
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { Sender } from "../../src/protocol/tftp/index.js";
import { decode } from "../../src/wire/tftp/index.js";
import { ReadTransfer, type TransferResult } from "../../src/servers/tftp/read-transfer.js";
import { memorySource, type BlockSource } from "../../src/servers/tftp/source.js";

/** A source that counts what is asked of it, to prove the memory bound. */
function countingSource(data: Buffer): BlockSource & { maxReadBytes: number; maxInFlight: number } {
  const inner = memorySource(data);
  let inFlight = 0;
  const s = {
    sizeBytes: data.length,
    maxReadBytes: 0,
    maxInFlight: 0,
    async readv(buffers: Buffer[], position: number): Promise<number> {
      const bytes = buffers.reduce((n, b) => n + b.length, 0);
      s.maxReadBytes = Math.max(s.maxReadBytes, bytes);
      inFlight++;
      s.maxInFlight = Math.max(s.maxInFlight, inFlight);
      await new Promise((r) => setImmediate(r));
      inFlight--;
      return inner.readv(buffers, position);
    },
    close: () => Promise.resolve(),
  };
  return s;
}

for (const windowSize of [1, 4, 32]) {
  test(`read transfer, window ${windowSize}: streams the file intact, reads at most max(window, readAhead) blocks at a time`, async () => {
    const blockSize = 512;
    const readAhead = 8;
    const data = randomBytes(blockSize * 100 + 77);
    const src = countingSource(data);
    const sender = new Sender({
      sizeBytes: data.length,
      blockSize,
      windowSize,
      sendOack: false,
      maxRetries: 3,
      oackFallbackAfterRepeats: 2,
      initialRtoMs: 1000,
      minRtoMs: 1000,
      maxRtoMs: 1000,
    });
    const got: Buffer[] = [];
    let expected = 1;
    let result: TransferResult | undefined;
    let pendingAck: number | undefined;
    let inWindow = 0;
    const t = new ReadTransfer(
      sender,
      src,
      [],
      {
        now: () => 0,
        send: (m) => {
          const p = decode(Array.isArray(m) ? Buffer.concat(m) : m);
          assert.equal(p.type, "DATA");
          if (p.type !== "DATA" || p.block !== expected % 65536) return;
          got.push(Buffer.from(p.data));
          expected++;
          inWindow++;
          if (p.data.length < blockSize || inWindow === windowSize) {
            inWindow = 0;
            pendingAck = p.block;
          }
        },
      },
      readAhead,
      (r) => (result = r),
    );
    t.start();
    while (!result) {
      await new Promise((r) => setImmediate(r));
      if (pendingAck !== undefined) {
        const b = pendingAck;
        pendingAck = undefined;
        t.onPacket({ type: "ACK", block: b });
      }
    }
    assert.equal(result.outcome, "ok");
    assert.deepEqual(Buffer.concat(got), data);
    assert.ok(src.maxReadBytes <= Math.max(windowSize, readAhead) * blockSize, `read ${src.maxReadBytes} bytes at once`);
    assert.ok(src.maxInFlight <= 2, "at most the current chunk and one read-ahead");
  });
}
