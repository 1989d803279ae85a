/**
 * The ONC RPC / XDR / portmapper / MOUNT v3 codecs: RFC byte layouts, a real
 * nfs-ganesha reply, round trips, and hostile bytes (only DecodeError).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { DecodeError, XdrReader, XdrWriter } from "../../src/wire/sunrpc/xdr.js";
import {
  AUTH_NONE,
  AUTH_STAT,
  authSys,
  decodeCall,
  decodeReply,
  encodeAcceptedErrorReply,
  encodeAuthErrorReply,
  encodeCall,
  encodeRecord,
  encodeSuccessReply,
  RecordReader,
} from "../../src/wire/sunrpc/rpc.js";
import { decodeGetportResult, decodeMapping, encodeMapping, IPPROTO, PMAP_PROGRAM } from "../../src/wire/sunrpc/portmap.js";
import { decodeExports, encodeExports, MOUNT_PROC3, MOUNT_PROGRAM, MOUNT_V3 } from "../../src/wire/sunrpc/mount.js";
import { GANESHA_EXPORT_CALL_HEX, GANESHA_EXPORT_REPLY_HEX, GANESHA_EXPORTS } from "./mount-recorded-ganesha.js";

const hex = (b: Uint8Array): string => Buffer.from(b).toString("hex");
const unhex = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, "hex"));

test("XDR: uint32 big-endian, bool, opaque and string padded to 4 bytes (RFC 4506 4.1, 4.4, 4.10, 4.11)", () => {
  const b = new XdrWriter().uint32(0x01020304).bool(true).string("abcde", 10).opaque(new Uint8Array([9]), 4).bytes();
  assert.equal(hex(b), "01020304" + "00000001" + "00000005" + "6162636465000000" + "00000001" + "09000000");
  const r = new XdrReader(b);
  assert.equal(r.uint32("a"), 0x01020304);
  assert.equal(r.bool("b"), true);
  assert.equal(r.string("s", 10), "abcde");
  assert.deepEqual([...r.opaque("o", 4)], [9]);
  assert.equal(r.remaining, 0);
  assert.equal(new XdrReader(unhex("ffffffff")).uint32("max"), 0xffffffff);
});

test("XDR: every short or oversized read is a DecodeError naming field and offset", () => {
  const short = new XdrReader(unhex("000000"));
  assert.throws(() => short.uint32("count"), (e: unknown) => e instanceof DecodeError && e.field === "count" && e.offset === 0);
  // length says 8 but only 4 bytes follow
  assert.throws(() => new XdrReader(unhex("0000000861626364")).opaque("name", 255), DecodeError);
  // length over the declared maximum, even though the bytes are there
  assert.throws(() => new XdrReader(unhex("00000005616263646500000000")).string("name", 4), /over the limit 4/);
  assert.throws(() => new XdrReader(unhex("00000002")).bool("flag"), /boolean is 2/);
  assert.throws(() => new XdrWriter().string("x".repeat(5), 4), RangeError);
});

test("RPC call: our EXPORT call is the RFC 5531 layout, byte for byte as nfs-ganesha accepted it", () => {
  const call = encodeCall({ xid: 0x6c627131, prog: MOUNT_PROGRAM, vers: MOUNT_V3, proc: MOUNT_PROC3.EXPORT, cred: AUTH_NONE, verf: AUTH_NONE, args: new Uint8Array(0) });
  // xid, CALL(0), rpcvers 2, prog 100005, vers 3, proc 5, cred AUTH_NONE/0, verf AUTH_NONE/0
  assert.equal(hex(call), GANESHA_EXPORT_CALL_HEX);
  const back = decodeCall(call);
  assert.equal(back.prog, 100005);
  assert.equal(back.proc, 5);
  assert.equal(back.args.length, 0);
});

test("RPC call: AUTH_SYS credentials (RFC 5531 appendix A)", () => {
  const cred = authSys({ stamp: 1, machineName: "doc", uid: 0, gid: 0, gids: [5] });
  assert.equal(hex(cred.body), "00000001" + "00000003" + "646f6300" + "00000000" + "00000000" + "00000001" + "00000005");
  const call = decodeCall(encodeCall({ xid: 7, prog: 1, vers: 1, proc: 0, cred, verf: AUTH_NONE, args: unhex("0000002a") }));
  assert.equal(call.cred.flavor, 1);
  assert.equal(hex(call.args), "0000002a");
  assert.throws(() => authSys({ stamp: 1, machineName: "x", uid: 0, gid: 0, gids: new Array<number>(17).fill(0) }), RangeError);
});

test("MOUNT EXPORT: the recorded nfs-ganesha reply decodes to its two exports with their groups", () => {
  const reply = decodeReply(unhex(GANESHA_EXPORT_REPLY_HEX));
  assert.equal(reply.kind, "success");
  assert.equal(reply.xid, 0x6c627131);
  if (reply.kind !== "success") return;
  assert.deepEqual(decodeExports(reply.results), GANESHA_EXPORTS);
  // And our encoder writes the same result bytes for the same list.
  assert.equal(hex(encodeExports(GANESHA_EXPORTS)), hex(reply.results));
});

test("RPC reply: every reply_body arm (RFC 5531 section 9)", () => {
  assert.deepEqual(decodeReply(encodeAcceptedErrorReply(3, "PROG_UNAVAIL")), { xid: 3, kind: "accepted-error", stat: "PROG_UNAVAIL", statValue: 1 });
  assert.deepEqual(decodeReply(encodeAcceptedErrorReply(3, "SYSTEM_ERR")), { xid: 3, kind: "accepted-error", stat: "SYSTEM_ERR", statValue: 5 });
  // MSG_ACCEPTED, verf AUTH_NONE, PROG_MISMATCH low 1 high 3
  assert.deepEqual(decodeReply(unhex("00000009" + "00000001" + "00000000" + "0000000000000000" + "00000002" + "00000001" + "00000003")), {
    xid: 9, kind: "prog-mismatch", low: 1, high: 3,
  });
  // MSG_DENIED, RPC_MISMATCH 2..2
  assert.deepEqual(decodeReply(unhex("00000009" + "00000001" + "00000001" + "00000000" + "00000002" + "00000002")), {
    xid: 9, kind: "rpc-mismatch", low: 2, high: 2,
  });
  assert.deepEqual(decodeReply(encodeAuthErrorReply(4, AUTH_STAT.AUTH_TOOWEAK)), { xid: 4, kind: "auth-error", authStat: 5 });
  const ok = decodeReply(encodeSuccessReply(5, unhex("00000801")));
  assert.equal(ok.kind === "success" && hex(ok.results), "00000801");
  // A CALL is not a reply; an unknown reply_stat is refused.
  assert.throws(() => decodeReply(unhex(GANESHA_EXPORT_CALL_HEX)), /expected REPLY/);
  assert.throws(() => decodeReply(unhex("00000009" + "00000001" + "00000007")), /reply_stat/);
});

test("portmapper: GETPORT's mapping argument and result (RFC 1833 section 3)", () => {
  const m = encodeMapping({ prog: MOUNT_PROGRAM, vers: 3, prot: IPPROTO.UDP, port: 0 });
  assert.equal(hex(m), "000186a5" + "00000003" + "00000011" + "00000000");
  assert.deepEqual(decodeMapping(m), { prog: 100005, vers: 3, prot: 17, port: 0 });
  assert.equal(PMAP_PROGRAM, 100000);
  assert.equal(decodeGetportResult(unhex("0000ea77")), 60023);
  assert.equal(decodeGetportResult(unhex("00000000")), 0);
  assert.throws(() => decodeGetportResult(unhex("00010000")), DecodeError);
});

test("record marking: fragments, split chunks, several records in one chunk (RFC 5531 section 11)", () => {
  const a = unhex("0102030405");
  const b = unhex("0a0b");
  const rr = new RecordReader(1024);
  const wire = Buffer.concat([encodeRecord(a), encodeRecord(b)]);
  // byte by byte
  const out: string[] = [];
  for (const byte of wire) out.push(...rr.push(Uint8Array.of(byte)).map(hex));
  assert.deepEqual(out, [hex(a), hex(b)]);
  // one record as two fragments: first without the last-fragment bit
  const frag = Buffer.concat([unhex("00000002"), unhex("0102"), unhex("80000001"), unhex("03")]);
  assert.deepEqual(new RecordReader(1024).push(frag).map(hex), ["010203"]);
  // a header claiming more than the limit is refused before buffering it
  assert.throws(() => new RecordReader(16).push(unhex("80000011")), DecodeError);
});

test("round trip: encodeExports then decodeExports is the identity", () => {
  const name = fc.string({ maxLength: 40 }).filter((s) => new TextEncoder().encode(s).length <= 255);
  const entry = fc.record({ dir: fc.string({ maxLength: 60 }), groups: fc.array(name, { maxLength: 5 }) }).map((e) => ({ ...e }));
  fc.assert(
    fc.property(fc.array(entry, { maxLength: 6 }), (list) => {
      assert.deepEqual(decodeExports(encodeExports(list)), list);
    }),
    { numRuns: 300 },
  );
});

test("hostile bytes: decoders throw DecodeError and nothing else", () => {
  const onlyDecodeErrors = (f: () => unknown): void => {
    try {
      f();
    } catch (e) {
      if (!(e instanceof DecodeError)) throw e;
    }
  };
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
      onlyDecodeErrors(() => decodeReply(bytes));
      onlyDecodeErrors(() => decodeCall(bytes));
      onlyDecodeErrors(() => decodeExports(bytes));
      onlyDecodeErrors(() => decodeGetportResult(bytes));
      onlyDecodeErrors(() => new RecordReader(64).push(bytes));
    }),
    { numRuns: 2000 },
  );
  // A list that never ends within the budget is cut off, not followed forever.
  const endless = new XdrWriter();
  for (let i = 0; i < 50; i++) endless.bool(true).string("/x", 1024).bool(false);
  assert.throws(() => decodeExports(endless.bool(false).bytes(), 10), /more than 10 entries/);
});
