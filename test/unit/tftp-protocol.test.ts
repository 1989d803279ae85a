import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import {
  checkMode,
  checkPath,
  negotiate,
  NetasciiDecoder,
  Receiver,
  toNetascii,
  type ReceiverAction,
} from "../../src/protocol/tftp/index.js";

const limits = { maxBlockSize: 1468, maxWindowSize: 16 };
const o = (name: string, value: string): { name: string; value: string } => ({ name, value });

test("negotiate: accepted options are echoed in the client's order; unknown ones ignored", () => {
  const n = negotiate("read", [o("tsize", "0"), o("blksize", "1432"), o("foo", "1"), o("windowsize", "4")], limits, 1234);
  assert.deepEqual(n.oack, [o("tsize", "1234"), o("blksize", "1432"), o("windowsize", "4")]);
  assert.equal(n.blockSize, 1432);
  assert.equal(n.windowSize, 4);
  assert.equal(n.tsizeBytes, 1234);
});

test("negotiate: values above the limit are lowered, invalid or out-of-range ones ignored", () => {
  const n = negotiate("read", [o("blksize", "65464"), o("windowsize", "70000"), o("timeout", "0")], limits, 1);
  assert.deepEqual(n.oack, [o("blksize", "1468"), o("windowsize", "16")]);
  for (const bad of ["7", "0", "-1", "1e3", "", "12345678", "0x10", " 512"]) {
    const m = negotiate("read", [o("blksize", bad)], limits, 1);
    assert.equal(m.blockSize, 512, bad);
    assert.deepEqual(m.oack, [], bad);
  }
  assert.deepEqual(negotiate("read", [o("timeout", "256")], limits, 1).oack, []);
  assert.deepEqual(negotiate("read", [o("timeout", "5")], limits, 1).oack, [o("timeout", "5")]);
  assert.deepEqual(negotiate("read", [o("windowsize", "0")], limits, 1).oack, []);
});

test("negotiate: windowsize off when the server allows 1; repeated options count once; WRQ tsize is the client's", () => {
  assert.deepEqual(negotiate("read", [o("windowsize", "8")], { ...limits, maxWindowSize: 1 }, 1).oack, []);
  assert.equal(negotiate("read", [o("blksize", "1024"), o("blksize", "8")], limits, 1).blockSize, 1024);
  const w = negotiate("write", [o("tsize", "4096")], limits, undefined);
  assert.equal(w.tsizeBytes, 4096);
  assert.deepEqual(w.oack, [o("tsize", "4096")]);
});

test("property: negotiate never grants values outside the RFC and server limits", () => {
  fc.assert(
    fc.property(fc.array(fc.record({ name: fc.constantFrom("blksize", "windowsize", "timeout", "tsize", "x"), value: fc.string() })), (opts) => {
      const n = negotiate("read", opts, limits, 99);
      assert.ok(n.blockSize >= 8 && n.blockSize <= 1468);
      assert.ok(n.windowSize >= 1 && n.windowSize <= 16);
      assert.ok(n.timeoutSeconds === undefined || (n.timeoutSeconds >= 1 && n.timeoutSeconds <= 255));
    }),
  );
});

test("mode: octet and netascii accepted (any case is lower-cased by the codec), mail and others refused", () => {
  const req = (mode: string) => ({ type: "RRQ" as const, filename: "f", mode, options: [] });
  assert.deepEqual(checkMode(req("octet")), { ok: true, mode: "octet" });
  assert.deepEqual(checkMode(req("netascii")), { ok: true, mode: "netascii" });
  for (const m of ["mail", "binary", ""]) assert.equal(checkMode(req(m)).ok, false);
});

test("path check: traversal, control characters, non-ASCII, length and the root itself are refused", () => {
  const refused = ["../etc/passwd", "a/../../b", "..\\..\\windows", "a\\..\\b", "..", "/..", "x/..", "a\0b", "a\nb", "\x7f", "caf\xe9", "", "/", "./.", "x".repeat(256)];
  for (const name of refused) assert.equal(checkPath(name, 255).ok, false, JSON.stringify(name));
  assert.deepEqual(checkPath("/boot//pxeboot", 255), { ok: true, segments: ["boot", "pxeboot"], path: "boot/pxeboot" });
  assert.deepEqual(checkPath("boot\\loader.efi", 255), { ok: true, segments: ["boot", "loader.efi"], path: "boot/loader.efi" });
  // Percent escapes are not decoded, so they are harmless literal names.
  assert.deepEqual(checkPath("%2e%2e/%2e%2e/etc/passwd", 255).ok, true);
  assert.equal(checkPath("x".repeat(255), 255).ok, true);
});

test("property: a name that passes the path check has no '..' segment and no control byte", () => {
  fc.assert(
    fc.property(fc.string({ unit: fc.constantFrom(".", "/", "\\", "a", "\0", "\x1f", "%") , maxLength: 20 }), (name) => {
      const r = checkPath(name, 255);
      if (r.ok) {
        assert.ok(!r.segments.includes(".."));
        assert.ok(![...r.path].some((c) => c.charCodeAt(0) < 0x20 || c === "\\"));
        assert.ok(!r.path.startsWith("/"));
      }
    }),
    { numRuns: 2000 },
  );
});

test("netascii: LF -> CR LF, CR -> CR NUL, and the decoder inverts it across chunk boundaries", () => {
  assert.deepEqual(toNetascii(Buffer.from("a\nb\rc")), Buffer.from("a\r\nb\r\0c", "latin1"));
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 200 }), fc.integer({ min: 1, max: 50 }), (data, cut) => {
      const wire = toNetascii(data);
      const d = new NetasciiDecoder();
      const parts: Buffer[] = [];
      for (let i = 0; i < wire.length; i += cut) parts.push(d.push(wire.subarray(i, i + cut)));
      parts.push(d.end());
      assert.deepEqual(Buffer.concat(parts), Buffer.from(data));
    }),
  );
});

const rcfg = { blockSize: 4, sendOack: false, maxRetries: 2, maxBytes: 100, initialRtoMs: 100, minRtoMs: 10, maxRtoMs: 1000 };
const kinds = (acts: ReceiverAction[]): string[] =>
  acts.filter((a) => a.type !== "armTimer").map((a) => (a.type === "sendAck" ? `A${a.block}` : a.type === "write" ? `W${Buffer.from(a.data).toString()}` : a.type === "finish" ? `finish:${a.outcome}` : a.type === "sendError" ? `E${a.code}` : a.type));

test("receiver: ACK 0, writes in order, re-ACKs a duplicate without writing it twice, dallies after the short block", () => {
  const r = new Receiver(rcfg);
  assert.deepEqual(kinds(r.handle({ type: "start", nowMs: 0 })), ["A0"]);
  assert.deepEqual(kinds(r.handle({ type: "data", block: 1, data: Buffer.from("abcd"), nowMs: 1 })), ["Wabcd", "A1"]);
  assert.deepEqual(kinds(r.handle({ type: "data", block: 1, data: Buffer.from("abcd"), nowMs: 2 })), ["A1"]);
  assert.deepEqual(kinds(r.handle({ type: "data", block: 3, data: Buffer.from("zz"), nowMs: 2 })), []);
  assert.deepEqual(kinds(r.handle({ type: "data", block: 2, data: Buffer.from("ef"), nowMs: 3 })), ["Wef", "A2"]);
  assert.deepEqual(kinds(r.handle({ type: "data", block: 2, data: Buffer.from("ef"), nowMs: 4 })), ["A2"]);
  assert.deepEqual(kinds(r.handle({ type: "timeout", nowMs: 200 })), ["finish:ok"]);
  assert.equal(r.bytesReceived, 6);
});

test("receiver: OACK first when options were accepted; resends it on timeout; gives up after maxRetries", () => {
  const r = new Receiver({ ...rcfg, sendOack: true });
  assert.deepEqual(kinds(r.handle({ type: "start", nowMs: 0 })), ["sendOack"]);
  assert.deepEqual(kinds(r.handle({ type: "timeout", nowMs: 100 })), ["sendOack"]);
  assert.deepEqual(kinds(r.handle({ type: "timeout", nowMs: 300 })), ["sendOack"]);
  assert.deepEqual(kinds(r.handle({ type: "timeout", nowMs: 700 })), ["finish:timeout"]);
});

test("receiver: refuses a file over maxBytes (ERROR 3) and an oversized block (ERROR 4)", () => {
  const r = new Receiver({ ...rcfg, maxBytes: 5 });
  r.handle({ type: "start", nowMs: 0 });
  r.handle({ type: "data", block: 1, data: Buffer.from("abcd"), nowMs: 1 });
  assert.deepEqual(kinds(r.handle({ type: "data", block: 2, data: Buffer.from("efgh"), nowMs: 2 })), ["E3", "finish:failed"]);
  const q = new Receiver(rcfg);
  q.handle({ type: "start", nowMs: 0 });
  assert.deepEqual(kinds(q.handle({ type: "data", block: 1, data: Buffer.from("abcde"), nowMs: 1 })), ["E4", "finish:failed"]);
});

test("receiver: block numbers roll over past 65535", () => {
  const r = new Receiver({ ...rcfg, blockSize: 1, maxBytes: 1e9 });
  r.handle({ type: "start", nowMs: 0 });
  for (let i = 1; i <= 65537; i++) {
    const acts = r.handle({ type: "data", block: i % 65536, data: Buffer.from("x"), nowMs: 0 });
    assert.ok(acts.some((a) => a.type === "write"), `block ${i}`);
  }
  assert.equal(r.bytesReceived, 65537);
});
