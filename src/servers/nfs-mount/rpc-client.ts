/**
 * A small ONC RPC client (RFC 5531) over UDP and TCP: one call, one reply.
 * UDP: a connected socket (so ICMP port-unreachable surfaces as ECONNREFUSED),
 * the call retransmitted with the same xid until a reply with that xid
 * arrives or the deadline passes; anything else received is ignored.
 * TCP: one connection per call, record marking (RFC 5531 section 11).
 */
import { randomInt } from "node:crypto";
import { createSocket } from "node:dgram";
import { connect } from "node:net";
import {
  AUTH_NONE,
  decodeReply,
  encodeCall,
  encodeRecord,
  peekXid,
  RecordReader,
  type OpaqueAuth,
  type RpcReply,
} from "../../wire/sunrpc/rpc.js";
import type { Transport } from "../../wire/sunrpc/portmap.js";

export interface RpcTarget {
  readonly host: string;
  readonly port: number;
  readonly transport: Transport;
}

export interface RpcRequest {
  readonly prog: number;
  readonly vers: number;
  readonly proc: number;
  readonly args: Uint8Array;
  readonly cred?: OpaqueAuth;
}

export interface RpcCallOptions {
  /** Give up after this long (whole call, including connect). */
  readonly timeoutMs: number;
  /** UDP: resend the call this often until a reply comes. */
  readonly retransmitMs?: number;
  /** Injected for tests; default a random 32-bit value. */
  readonly xid?: number;
}

export type RpcFailure = "timeout" | "refused" | "unreachable" | "closed" | "garbage";

/** The call got no usable reply. `reason` says why; `cause` keeps the socket error. */
export class RpcTransportError extends Error {
  constructor(
    readonly reason: RpcFailure,
    readonly target: RpcTarget,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(`${target.transport}://${target.host}:${target.port}: ${message}`, options);
    this.name = "RpcTransportError";
  }
}

/** Largest reply we accept over TCP: an export list of thousands of entries fits. */
const MAX_RECORD_BYTES = 4 * 1024 * 1024;

function classify(e: unknown): RpcFailure {
  const code = (e as { code?: string }).code;
  if (code === "ECONNREFUSED") return "refused";
  if (code === "EHOSTUNREACH" || code === "ENETUNREACH" || code === "EADDRNOTAVAIL") return "unreachable";
  return "closed";
}

export function rpcCall(target: RpcTarget, req: RpcRequest, options: RpcCallOptions): Promise<RpcReply> {
  const xid = options.xid ?? randomInt(0, 0x100000000);
  const message = encodeCall({
    xid,
    prog: req.prog,
    vers: req.vers,
    proc: req.proc,
    cred: req.cred ?? AUTH_NONE,
    verf: AUTH_NONE,
    args: req.args,
  });
  return target.transport === "udp" ? callUdp(target, xid, message, options) : callTcp(target, xid, message, options);
}

function callUdp(target: RpcTarget, xid: number, message: Uint8Array, o: RpcCallOptions): Promise<RpcReply> {
  return new Promise((resolve, reject) => {
    const sock = createSocket("udp4");
    let settled = false;
    let garbage: unknown;
    const finish = (err: Error | undefined, reply?: RpcReply): void => {
      if (settled) return;
      settled = true;
      clearTimeout(deadline);
      if (resend !== undefined) clearInterval(resend);
      sock.close();
      if (err) reject(err);
      else resolve(reply!);
    };
    const deadline = setTimeout(() => {
      const why = garbage !== undefined ? "garbage" : "timeout";
      finish(new RpcTransportError(why, target, `no valid reply within ${o.timeoutMs} ms`, { cause: garbage }));
    }, o.timeoutMs);
    const failed = (e: Error): void => finish(new RpcTransportError(classify(e), target, e.message, { cause: e }));
    const send = (): void => {
      if (settled) return;
      try {
        sock.send(message, (e) => {
          if (e) failed(e);
        });
      } catch (e) {
        failed(e as Error); // not connected, or closed meanwhile: a failure of this call, never of the process
      }
    };
    let resend: ReturnType<typeof setInterval> | undefined;
    sock.on("error", failed);
    sock.on("message", (msg: Buffer) => {
      if (peekXid(msg) !== xid) return;
      try {
        finish(undefined, decodeReply(msg));
      } catch (e) {
        garbage = e; // keep waiting: a retransmitted reply may decode
      }
    });
    // A connect that fails (no route: ENETUNREACH, EHOSTUNREACH) hands its error to this callback, and the socket stays unconnected.
    sock.connect(target.port, target.host, (e?: Error) => {
      if (e) {
        failed(e);
        return;
      }
      send();
      resend = setInterval(send, o.retransmitMs ?? 1000);
    });
  });
}

function callTcp(target: RpcTarget, xid: number, message: Uint8Array, o: RpcCallOptions): Promise<RpcReply> {
  return new Promise((resolve, reject) => {
    const sock = connect({ host: target.host, port: target.port });
    const records = new RecordReader(MAX_RECORD_BYTES);
    let settled = false;
    const finish = (err: Error | undefined, reply?: RpcReply): void => {
      if (settled) return;
      settled = true;
      clearTimeout(deadline);
      sock.destroy();
      if (err) reject(err);
      else resolve(reply!);
    };
    const deadline = setTimeout(() => finish(new RpcTransportError("timeout", target, `no reply within ${o.timeoutMs} ms`)), o.timeoutMs);
    sock.on("connect", () => sock.write(encodeRecord(message)));
    sock.on("error", (e) => finish(new RpcTransportError(classify(e), target, e.message, { cause: e })));
    sock.on("close", () => finish(new RpcTransportError("closed", target, "connection closed before a reply")));
    sock.on("data", (chunk: Buffer) => {
      try {
        for (const rec of records.push(chunk)) {
          if (peekXid(rec) !== xid) continue;
          finish(undefined, decodeReply(rec));
          return;
        }
      } catch (e) {
        finish(new RpcTransportError("garbage", target, `bad reply: ${(e as Error).message}`, { cause: e }));
      }
    });
  });
}
