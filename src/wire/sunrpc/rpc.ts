/**
 * ONC RPC version 2 messages (RFC 5531) and TCP record marking (RFC 5531
 * section 11). Pure: bytes in, values out. Only what a client needs to make
 * a call and read the answer, plus call decoding and reply encoding so tests
 * can stand up a fake server speaking the same bytes.
 */
import { DecodeError, XdrReader, XdrWriter } from "./xdr.js";

/** RFC 5531 section 9: the only RPC protocol version. */
export const RPC_VERSION = 2;

/** RFC 5531 section 9, `enum msg_type`. */
export const MSG_TYPE = { CALL: 0, REPLY: 1 } as const;

/** RFC 5531 section 9, `enum reply_stat`. */
export const REPLY_STAT = { MSG_ACCEPTED: 0, MSG_DENIED: 1 } as const;

/** RFC 5531 section 9, `enum accept_stat`. */
export const ACCEPT_STAT = {
  SUCCESS: 0,
  PROG_UNAVAIL: 1,
  PROG_MISMATCH: 2,
  PROC_UNAVAIL: 3,
  GARBAGE_ARGS: 4,
  SYSTEM_ERR: 5,
} as const;
export type AcceptStatName = keyof typeof ACCEPT_STAT;

/** RFC 5531 section 9, `enum reject_stat`. */
export const REJECT_STAT = { RPC_MISMATCH: 0, AUTH_ERROR: 1 } as const;

/** RFC 5531 section 9, `enum auth_stat` (the values a server may deny with). */
export const AUTH_STAT = {
  AUTH_OK: 0,
  AUTH_BADCRED: 1,
  AUTH_REJECTEDCRED: 2,
  AUTH_BADVERF: 3,
  AUTH_REJECTEDVERF: 4,
  AUTH_TOOWEAK: 5,
  AUTH_INVALIDRESP: 6,
  AUTH_FAILED: 7,
  AUTH_KERB_GENERIC: 8,
  AUTH_TIMEEXPIRE: 9,
  AUTH_TKT_FILE: 10,
  AUTH_DECODE: 11,
  AUTH_NET_ADDR: 12,
  RPCSEC_GSS_CREDPROBLEM: 13,
  RPCSEC_GSS_CTXPROBLEM: 14,
} as const;

/** RFC 5531 section 8.2 and appendix A: the flavors we send. */
export const AUTH_FLAVOR = { AUTH_NONE: 0, AUTH_SYS: 1 } as const;

/** RFC 5531 section 8.2: `opaque body<400>`. */
export const MAX_AUTH_BYTES = 400;
/** RFC 5531 appendix A: `string machinename<255>`, `unsigned int gids<16>`. */
const MAX_MACHINE_NAME = 255;
const MAX_GIDS = 16;

export function nameOf<T extends Record<string, number>>(table: T, value: number): string {
  for (const [k, v] of Object.entries(table)) if (v === value) return k;
  return `unknown(${value})`;
}

export interface OpaqueAuth {
  readonly flavor: number;
  readonly body: Uint8Array;
}

export const AUTH_NONE: OpaqueAuth = { flavor: AUTH_FLAVOR.AUTH_NONE, body: new Uint8Array(0) };

/** RFC 5531 appendix A: AUTH_SYS credentials (uid/gid as the server should see them). */
export function authSys(o: { stamp: number; machineName: string; uid: number; gid: number; gids?: readonly number[] }): OpaqueAuth {
  const gids = o.gids ?? [];
  if (gids.length > MAX_GIDS) throw new RangeError(`AUTH_SYS allows ${MAX_GIDS} groups, got ${gids.length}`);
  const w = new XdrWriter().uint32(o.stamp).string(o.machineName, MAX_MACHINE_NAME).uint32(o.uid).uint32(o.gid).uint32(gids.length);
  for (const g of gids) w.uint32(g);
  return { flavor: AUTH_FLAVOR.AUTH_SYS, body: w.bytes() };
}

export interface RpcCall {
  readonly xid: number;
  readonly prog: number;
  readonly vers: number;
  readonly proc: number;
  readonly cred: OpaqueAuth;
  readonly verf: OpaqueAuth;
  /** The procedure's arguments, already XDR-encoded. */
  readonly args: Uint8Array;
}

function writeAuth(w: XdrWriter, a: OpaqueAuth): void {
  w.uint32(a.flavor).opaque(a.body, MAX_AUTH_BYTES);
}

function readAuth(r: XdrReader, field: string): OpaqueAuth {
  return { flavor: r.uint32(`${field}.flavor`), body: r.opaque(`${field}.body`, MAX_AUTH_BYTES) };
}

export function encodeCall(c: RpcCall): Uint8Array {
  const w = new XdrWriter().uint32(c.xid).uint32(MSG_TYPE.CALL).uint32(RPC_VERSION).uint32(c.prog).uint32(c.vers).uint32(c.proc);
  writeAuth(w, c.cred);
  writeAuth(w, c.verf);
  return w.raw(c.args).bytes();
}

export function decodeCall(buf: Uint8Array): RpcCall {
  const r = new XdrReader(buf);
  const xid = r.uint32("xid");
  const at = r.offset;
  const mtype = r.uint32("msg_type");
  if (mtype !== MSG_TYPE.CALL) throw new DecodeError("msg_type", at, `expected CALL, got ${mtype}`);
  const rpcvers = r.uint32("rpcvers");
  if (rpcvers !== RPC_VERSION) throw new DecodeError("rpcvers", at + 4, `version ${rpcvers}`);
  const prog = r.uint32("prog");
  const vers = r.uint32("vers");
  const proc = r.uint32("proc");
  const cred = readAuth(r, "cred");
  const verf = readAuth(r, "verf");
  return { xid, prog, vers, proc, cred, verf, args: r.rest() };
}

/** What a reply said, as a tagged union (RFC 5531 section 9, `reply_body`). */
export type RpcReply =
  | { readonly xid: number; readonly kind: "success"; readonly verf: OpaqueAuth; readonly results: Uint8Array }
  | { readonly xid: number; readonly kind: "prog-mismatch"; readonly low: number; readonly high: number }
  | { readonly xid: number; readonly kind: "accepted-error"; readonly stat: Exclude<AcceptStatName, "SUCCESS" | "PROG_MISMATCH"> | "unknown"; readonly statValue: number }
  | { readonly xid: number; readonly kind: "rpc-mismatch"; readonly low: number; readonly high: number }
  | { readonly xid: number; readonly kind: "auth-error"; readonly authStat: number };

/** The xid of any RPC message, or undefined if the buffer is too short (for matching replies). */
export function peekXid(buf: Uint8Array): number | undefined {
  return buf.length >= 4 ? new XdrReader(buf).uint32("xid") : undefined;
}

export function decodeReply(buf: Uint8Array): RpcReply {
  const r = new XdrReader(buf);
  const xid = r.uint32("xid");
  let at = r.offset;
  const mtype = r.uint32("msg_type");
  if (mtype !== MSG_TYPE.REPLY) throw new DecodeError("msg_type", at, `expected REPLY, got ${mtype}`);
  at = r.offset;
  const rstat = r.uint32("reply_stat");
  if (rstat === REPLY_STAT.MSG_ACCEPTED) {
    const verf = readAuth(r, "verf");
    at = r.offset;
    const astat = r.uint32("accept_stat");
    if (astat === ACCEPT_STAT.SUCCESS) return { xid, kind: "success", verf, results: r.rest() };
    if (astat === ACCEPT_STAT.PROG_MISMATCH) return { xid, kind: "prog-mismatch", low: r.uint32("mismatch.low"), high: r.uint32("mismatch.high") };
    const name = nameOf(ACCEPT_STAT, astat);
    const stat = name === "PROG_UNAVAIL" || name === "PROC_UNAVAIL" || name === "GARBAGE_ARGS" || name === "SYSTEM_ERR" ? name : "unknown";
    return { xid, kind: "accepted-error", stat, statValue: astat };
  }
  if (rstat === REPLY_STAT.MSG_DENIED) {
    at = r.offset;
    const jstat = r.uint32("reject_stat");
    if (jstat === REJECT_STAT.RPC_MISMATCH) return { xid, kind: "rpc-mismatch", low: r.uint32("mismatch.low"), high: r.uint32("mismatch.high") };
    if (jstat === REJECT_STAT.AUTH_ERROR) return { xid, kind: "auth-error", authStat: r.uint32("auth_stat") };
    throw new DecodeError("reject_stat", at, `unknown reject_stat ${jstat}`);
  }
  throw new DecodeError("reply_stat", at, `unknown reply_stat ${rstat}`);
}

/** A successful reply carrying `results` (for fake servers in tests). */
export function encodeSuccessReply(xid: number, results: Uint8Array): Uint8Array {
  const w = new XdrWriter().uint32(xid).uint32(MSG_TYPE.REPLY).uint32(REPLY_STAT.MSG_ACCEPTED);
  writeAuth(w, AUTH_NONE);
  return w.uint32(ACCEPT_STAT.SUCCESS).raw(results).bytes();
}

/** An accepted reply with an error status (PROG_UNAVAIL, PROC_UNAVAIL, ...). */
export function encodeAcceptedErrorReply(xid: number, stat: Exclude<AcceptStatName, "SUCCESS" | "PROG_MISMATCH">): Uint8Array {
  const w = new XdrWriter().uint32(xid).uint32(MSG_TYPE.REPLY).uint32(REPLY_STAT.MSG_ACCEPTED);
  writeAuth(w, AUTH_NONE);
  return w.uint32(ACCEPT_STAT[stat]).bytes();
}

/** A denied reply: authentication error. */
export function encodeAuthErrorReply(xid: number, authStat: number): Uint8Array {
  return new XdrWriter().uint32(xid).uint32(MSG_TYPE.REPLY).uint32(REPLY_STAT.MSG_DENIED).uint32(REJECT_STAT.AUTH_ERROR).uint32(authStat).bytes();
}

// --- Record marking (RFC 5531 section 11) ---------------------------------
/** The last-fragment bit of a record-marking header. */
const LAST_FRAGMENT = 0x80000000;
const FRAGMENT_LENGTH_MASK = 0x7fffffff;

/** One message as a single last fragment. */
export function encodeRecord(message: Uint8Array): Uint8Array {
  const header = new XdrWriter().uint32((LAST_FRAGMENT | message.length) >>> 0).bytes();
  const out = new Uint8Array(4 + message.length);
  out.set(header, 0);
  out.set(message, 4);
  return out;
}

/**
 * Reassembles records from a TCP byte stream. `push` returns the complete
 * records so far. A record larger than `maxRecordBytes` is an error (the
 * peer is not trusted to bound its own lengths).
 */
export class RecordReader {
  private buffered = new Uint8Array(0);
  private fragments: Uint8Array[] = [];
  private recordBytes = 0;

  constructor(private readonly maxRecordBytes: number) {}

  push(chunk: Uint8Array): Uint8Array[] {
    const joined = new Uint8Array(this.buffered.length + chunk.length);
    joined.set(this.buffered, 0);
    joined.set(chunk, this.buffered.length);
    this.buffered = joined;
    const records: Uint8Array[] = [];
    for (;;) {
      if (this.buffered.length < 4) break;
      const header = new XdrReader(this.buffered).uint32("record mark");
      const len = header & FRAGMENT_LENGTH_MASK;
      const last = (header & LAST_FRAGMENT) !== 0;
      if (this.recordBytes + len > this.maxRecordBytes) {
        throw new DecodeError("record mark", 0, `record of ${this.recordBytes + len} bytes over the limit ${this.maxRecordBytes}`);
      }
      if (this.buffered.length < 4 + len) break;
      this.fragments.push(this.buffered.slice(4, 4 + len));
      this.recordBytes += len;
      this.buffered = this.buffered.slice(4 + len);
      if (last) {
        const rec = new Uint8Array(this.recordBytes);
        let p = 0;
        for (const f of this.fragments) {
          rec.set(f, p);
          p += f.length;
        }
        records.push(rec);
        this.fragments = [];
        this.recordBytes = 0;
      }
    }
    return records;
  }
}
