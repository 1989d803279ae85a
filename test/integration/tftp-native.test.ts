/**
 * The native data path with the real addon, on 127.0.0.1, driven by a
 * scripted client: the hand-over cases (duplicate and stale ACKs, ERROR, a
 * packet from another port, the client gone, the file shrinking, block
 * numbers rolling over) and both send paths (sendmmsg and UDP GSO). The
 * Sender is inspected afterwards: it saw every ACK the native side answered.
 */
import { test, after } from "node:test";
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { promises as fsp, mkdtempSync, rmSync, writeFileSync, truncateSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Sender } from "../../src/protocol/tftp/index.js";
import { decode, encode } from "../../src/wire/tftp/index.js";
import { NativeReadTransfer } from "../../src/servers/tftp/native-transfer.js";
import { loadNative } from "../../src/servers/tftp/native.js";
import { fileSource } from "../../src/servers/tftp/source.js";
import type { TransferResult } from "../../src/servers/tftp/read-transfer.js";
import { TestSocket, type Peer } from "../support/tftp-client.js";
import { requireNative } from "../support/native-guard.js";

const dir = mkdtempSync(join(tmpdir(), "lbtf-native-"));
after(() => rmSync(dir, { recursive: true, force: true }));

interface Run {
  readonly sender: Sender;
  readonly t: NativeReadTransfer;
  readonly client: TestSocket;
  readonly result: Promise<TransferResult>;
  readonly path: string;
}

let files = 0;
async function startRun(data: Buffer, blockSize: number, windowSize: number, gso: boolean): Promise<Run> {
  const l = loadNative();
  assert.ok(l.ok);
  const path = join(dir, `f${files++}`);
  writeFileSync(path, data);
  const fh = await fsp.open(path, "r");
  const source = fileSource(fh, data.length);
  // A long minimum timeout: on loopback nothing is lost, so no resend may come from the timer.
  const sender = new Sender({ sizeBytes: data.length, blockSize, windowSize, sendOack: false, maxRetries: 3, oackFallbackAfterRepeats: 2, initialRtoMs: 3000, minRtoMs: 3000, maxRtoMs: 6000 });
  const client = await TestSocket.open();
  let resolve!: (r: TransferResult) => void;
  const result = new Promise<TransferResult>((r) => (resolve = r));
  const setup = {
    addon: l.addon,
    localAddress: "127.0.0.1",
    client: { address: "127.0.0.1", port: client.sock.address().port },
    gso,
    decode: (b: Buffer) => {
      try {
        return decode(b);
      } catch {
        return undefined;
      }
    },
  };
  const t = new NativeReadTransfer(sender, { ...source, fd: fh.fd }, [], setup, resolve);
  t.start();
  return { sender, t, client, result, path };
}

interface Script {
  /** Called after each in-order DATA block (absolute index); may send extra packets. Return false to stop receiving. */
  onBlock?: (index: number, server: Peer) => Promise<boolean | undefined>;
  /** ACK every in-order block this many times (lockstep duplicates). */
  ackCopies?: number;
}

/** Receives in order, ACKing the end of each window (the server's window size); returns the bytes. */
async function receive(run: Run, blockSize: number, windowSize: number, s: Script = {}): Promise<Buffer> {
  const parts: Buffer[] = [];
  let next = 1;
  for (;;) {
    const m = await run.client.next(5000);
    assert.ok(m, `DATA ${next} did not come`);
    const p = m.p;
    if (p?.type !== "DATA" || p.block !== next % 65536) continue;
    parts.push(Buffer.from(p.data));
    const last = p.data.length < blockSize;
    if (last || next % windowSize === 0) {
      for (let k = 0; k < (s.ackCopies ?? 1); k++) await run.client.send({ type: "ACK", block: p.block }, m.from);
    }
    if ((await s.onBlock?.(next, m.from)) === false || last) break;
    next++;
  }
  return Buffer.concat(parts);
}

if (requireNative()) {
  for (const gso of [false, true]) {
    test(`lockstep, every ACK sent twice (gso ${gso}): intact, duplicates handed to the Sender and ignored, nothing resent`, async () => {
      const data = randomBytes(512 * 300 + 11);
      const run = await startRun(data, 512, 1, gso);
      const got = await receive(run, 512, 1, { ackCopies: 2 });
      const r = await run.result;
      run.client.close();
      assert.ok(got.equals(data));
      assert.equal(r.outcome, "ok");
      assert.equal(r.blocksResent, 0);
      assert.ok(run.sender.counters.duplicateAcks >= 290, `${run.sender.counters.duplicateAcks} duplicates seen by the Sender`);
      assert.ok(run.t.nativeAcks >= 290, `${run.t.nativeAcks} ACKs answered natively`);
    });

    test(`windowsize 64 at blksize 8 (gso ${gso}): 70,001 blocks, block numbers roll over, intact`, async () => {
      const data = randomBytes(8 * 70_000 + 3);
      const run = await startRun(data, 8, 64, gso);
      const got = await receive(run, 8, 64);
      const r = await run.result;
      run.client.close();
      assert.ok(got.equals(data));
      assert.equal(r.outcome, "ok");
      assert.equal(run.sender.ackedIndex, 70_001);
      assert.ok(run.t.nativeAcks > 1000, `${run.t.nativeAcks} ACKs answered natively`);
      assert.equal(run.t.usesGso, gso, "GSO, when asked for, was not refused (at most 64 segments a send)");
    });
  }

  test("windowed with stale ACKs in between: the Sender counts them stale, the file arrives intact", async () => {
    const data = randomBytes(1024 * 200);
    const run = await startRun(data, 1024, 8, false);
    const got = await receive(run, 1024, 8, {
      onBlock: async (i, server) => {
        // An old ACK (a window behind) right after the window's own ACK.
        if (i % 8 === 0 && i > 16) await run.client.send({ type: "ACK", block: i - 12 }, server);
        return true;
      },
    });
    const r = await run.result;
    run.client.close();
    assert.ok(got.equals(data));
    assert.equal(r.outcome, "ok");
    assert.ok(run.sender.counters.staleAcks > 0);
    assert.equal(r.blocksResent, 0);
  });

  test("an ERROR mid-transfer ends it as cancelled with the client's code", async () => {
    const run = await startRun(randomBytes(512 * 100), 512, 4, false);
    await receive(run, 512, 4, {
      onBlock: async (i, server) => {
        if (i < 40) return true;
        await run.client.send({ type: "ERROR", code: 0, message: "user cancelled" }, server);
        return false;
      },
    });
    const r = await run.result;
    run.client.close();
    assert.equal(r.outcome, "cancelled");
    assert.equal(r.clientErrorCode, 0);
  });

  test("a packet from another port is not the transfer's: it carries on intact", async () => {
    const data = randomBytes(512 * 80);
    const run = await startRun(data, 512, 1, false);
    const stranger = await TestSocket.open();
    const got = await receive(run, 512, 1, {
      onBlock: async (i, server) => {
        if (i === 20) {
          await stranger.send({ type: "ACK", block: 60 }, server);
          await stranger.send(encode({ type: "ERROR", code: 0, message: "not yours" }), server);
        }
        return true;
      },
    });
    const r = await run.result;
    run.client.close();
    const answer = await stranger.next(200);
    stranger.close();
    assert.ok(got.equals(data));
    assert.equal(r.outcome, "ok");
    assert.equal(answer, undefined, "the connected socket never sees the stranger");
  });

  test("the client gone (ICMP port unreachable) ends the transfer as cancelled", async () => {
    const run = await startRun(randomBytes(512 * 100), 512, 1, false);
    await receive(run, 512, 1, { onBlock: async (i) => i < 10 });
    // Its ACK of block 10 is on the way; the next DATA meets a closed port.
    run.client.close();
    const r = await run.result;
    assert.equal(r.outcome, "cancelled");
    assert.equal(r.reason, "client port unreachable");
  });

  test("the file shrinking under a transfer aborts it with ERROR 0 once a read comes up short, never sending past the new end", async () => {
    // Blocks are read ahead (64 at a time at blksize 512), so the shrink shows at the next read.
    const run = await startRun(randomBytes(512 * 300), 512, 1, false);
    let error: { code: number; message: string } | undefined;
    await receive(run, 512, 1, {
      onBlock: async (i) => {
        if (i === 10) truncateSync(run.path, 512 * 150);
        return i < 10;
      },
    });
    for (;;) {
      const m = await run.client.next(5000);
      assert.ok(m, "the server went quiet");
      if (m.p?.type === "ERROR") {
        error = m.p;
        break;
      }
      if (m.p?.type === "DATA") {
        if (m.p.block > 150) assert.fail(`block ${m.p.block} past the new end of the file`);
        await run.client.send({ type: "ACK", block: m.p.block }, m.from);
      }
    }
    const r = await run.result;
    run.client.close();
    assert.equal(r.outcome, "failed");
    assert.equal(r.reason, "file changed during transfer");
    assert.equal(error.code, 0);
  });
}
