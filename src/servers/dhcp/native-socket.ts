/**
 * A DHCP socket on the native layer (native/dhcp_sock.c): the addon drains
 * the socket with recvmmsg into a shared ring and calls `wake` once per
 * wake-up; this side copies each datagram out (decoded packets keep views
 * into their bytes, and the ring is reused) and hands it on with its source
 * as text. Sends are synchronous sendto calls; a full send buffer
 * (EAGAIN/ENOBUFS) parks the datagram in a small bounded queue that is
 * retried when the socket becomes writable (SendQueue).
 */
import { constants } from "node:os";
import { getSystemErrorName } from "node:util";
import type { NativeDhcpAddon, NativeDhcpSocket } from "./native.js";

/** Largest datagram taken whole; longer ones are cut and reported as truncated. */
export const SLOT_BYTES = 2048;
/** Datagrams taken per wake-up (one recvmmsg). */
export const RECV_BATCH = 32;
/** Datagrams held while the send buffer is full; more fail at once (counted as send errors). */
export const SEND_QUEUE_LIMIT = 64;
const FLAG_TRUNC = 1;

/** Settles a send that did not complete at once (exactly once). */
export type SendSettled = (err: Error | null) => void;

export function ipv4Text(n: number): string {
  return `${n >>> 24}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`;
}

/** An Error shaped like Node's own for a failed syscall: "send ENETUNREACH 198.18.0.9:68". */
export function errnoError(syscall: string, errno: number, address: string, port: number): NodeJS.ErrnoException {
  let name: string;
  try {
    name = getSystemErrorName(errno);
  } catch {
    name = `E${-errno}`;
  }
  return Object.assign(new Error(`${syscall} ${name} ${address}:${port}`), { code: name, errno, syscall });
}

const isFull = (r: number): boolean => r === -constants.errno.EAGAIN || r === -constants.errno.ENOBUFS;

interface Queued {
  readonly bytes: Uint8Array;
  readonly port: number;
  readonly address: string;
  readonly settled: SendSettled;
}

/**
 * Sends in order without ever blocking: straight through while the socket
 * takes datagrams; when it is full, up to `limit` wait (in order) for the
 * writable wake-up, and beyond that a send fails at once.
 */
export class SendQueue {
  private readonly items: Queued[] = [];

  constructor(
    private readonly trySend: (bytes: Uint8Array, address: string, port: number) => number,
    private readonly waitWritable: () => void,
    readonly limit = SEND_QUEUE_LIMIT,
  ) {}

  get length(): number {
    return this.items.length;
  }

  /** null: sent; an Error: failed now; undefined: queued, `settled` runs later. */
  send(bytes: Uint8Array, port: number, address: string, settled: SendSettled): Error | null | undefined {
    if (this.items.length === 0) {
      const r = this.trySend(bytes, address, port);
      if (r === 0) return null;
      if (!isFull(r)) return errnoError("send", r, address, port);
    }
    if (this.items.length >= this.limit) {
      return Object.assign(errnoError("send", -constants.errno.ENOBUFS, address, port), { message: `send queue full (${this.limit}) ${address}:${port}` });
    }
    this.items.push({ bytes, port, address, settled });
    if (this.items.length === 1) this.waitWritable();
    return undefined;
  }

  /** The socket can take more: send what waits, in order, until it is full again. */
  flush(): void {
    while (this.items.length > 0) {
      const q = this.items[0]!;
      const r = this.trySend(q.bytes, q.address, q.port);
      if (isFull(r)) {
        this.waitWritable();
        return;
      }
      this.items.shift();
      q.settled(r === 0 ? null : errnoError("send", r, q.address, q.port));
    }
  }

  /** The socket closes: every waiting send fails. */
  failAll(): void {
    for (const q of this.items.splice(0)) q.settled(new Error(`send ${q.address}:${q.port}: socket closed`));
  }
}

export type NativeHandler = (msg: Buffer, sourceAddress: string, sourcePort: number, truncated: boolean) => void;

/** One bound native socket; bind failures throw Node-shaped errors ("bind EADDRINUSE 0.0.0.0:67"). */
export class NativeUdpSocket {
  private readonly ring = Buffer.allocUnsafeSlow(RECV_BATCH * SLOT_BYTES);
  private readonly meta = new Uint32Array(RECV_BATCH * 4);
  private readonly sock: NativeDhcpSocket;
  private readonly queue: SendQueue;
  private closed = false;

  /** `coalesceMs`: the receive coalescing window (0: every datagram wakes the process; see native/dhcp_sock.c). */
  constructor(
    addon: NativeDhcpAddon, bindAddress: string, port: number, recvBufferBytes: number | undefined, private readonly onPacket: NativeHandler,
    coalesceMs = 0,
  ) {
    try {
      this.sock = new addon.Socket(bindAddress, port, recvBufferBytes ?? 0, this.ring, this.meta, SLOT_BYTES, (n) => this.wake(n));
    } catch (e) {
      const errno = (e as NodeJS.ErrnoException).errno;
      throw typeof errno === "number" ? errnoError((e as NodeJS.ErrnoException).syscall ?? "bind", errno, bindAddress, port) : e;
    }
    const sock = this.sock;
    if (coalesceMs > 0) sock.coalesce(coalesceMs);
    this.queue = new SendQueue((b, a, p) => sock.send(b, a, p), () => sock.waitWritable());
  }

  private wake(n: number): void {
    if (n < 0) {
      this.queue.flush();
      return;
    }
    const { ring, meta } = this;
    for (let i = 0; i < n && !this.closed; i++) {
      const m = i * 4;
      const len = meta[m]!;
      const msg = Buffer.allocUnsafe(len);
      ring.copy(msg, 0, i * SLOT_BYTES, i * SLOT_BYTES + len);
      this.onPacket(msg, ipv4Text(meta[m + 1]!), meta[m + 2]!, (meta[m + 3]! & FLAG_TRUNC) !== 0);
    }
  }

  /** Throws once closed (as dgram does); else null (sent), an Error (failed) or undefined (queued; see SendQueue). */
  send(bytes: Uint8Array, port: number, address: string, settled: SendSettled): Error | null | undefined {
    if (this.closed) throw new Error("Not running: the DHCP socket is closed");
    return this.queue.send(bytes, port, address, settled);
  }

  local(): { address: string; port: number } {
    const [a, p] = this.sock.localAddress();
    return { address: ipv4Text(a), port: p };
  }

  recvBufferSize(): number {
    return this.sock.recvBufferSize();
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.sock.close();
    this.queue.failAll();
  }
}
