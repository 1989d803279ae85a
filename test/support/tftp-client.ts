/**
 * A small TFTP client for tests: full reads (lockstep or windowed, with
 * options), writes, and raw packet exchanges. Bound to 127.0.0.x only.
 */
import dgram from "node:dgram";
import { decode, encode, type TftpOption, type TftpPacket } from "../../src/wire/tftp/index.js";

export interface Peer {
  readonly address: string;
  readonly port: number;
}

export class TestSocket {
  readonly sock: dgram.Socket;
  private readonly inbox: { p: TftpPacket | undefined; raw: Buffer; from: Peer }[] = [];
  private waiter: (() => void) | undefined;

  private constructor(sock: dgram.Socket) {
    this.sock = sock;
    sock.on("message", (raw, r) => {
      let p: TftpPacket | undefined;
      try {
        p = decode(raw);
      } catch {
        p = undefined;
      }
      this.inbox.push({ p, raw, from: { address: r.address, port: r.port } });
      this.waiter?.();
    });
  }

  static async open(localAddress = "127.0.0.1"): Promise<TestSocket> {
    const s = dgram.createSocket("udp4");
    await new Promise<void>((resolve) => s.bind({ address: localAddress, port: 0 }, resolve));
    return new TestSocket(s);
  }

  /** Sends; the promise settles once the datagram has left (close() before that would drop it). */
  send(p: TftpPacket | Buffer, to: Peer): Promise<void> {
    return new Promise((resolve) => this.sock.send(Buffer.isBuffer(p) ? p : encode(p), to.port, to.address, () => resolve()));
  }

  /** Next packet, or undefined after timeoutMs. */
  async next(timeoutMs = 1000): Promise<{ p: TftpPacket | undefined; raw: Buffer; from: Peer } | undefined> {
    const deadline = Date.now() + timeoutMs;
    while (this.inbox.length === 0) {
      const left = deadline - Date.now();
      if (left <= 0) return undefined;
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.waiter = () => {
          clearTimeout(t);
          resolve();
        };
      });
      this.waiter = undefined;
    }
    return this.inbox.shift();
  }

  close(): void {
    this.sock.close();
  }
}

export interface GetOptions {
  readonly options?: readonly TftpOption[];
  readonly mode?: string;
  readonly localAddress?: string;
  readonly timeoutMs?: number;
  /** Delay before each ACK (to keep a transfer running). */
  readonly ackDelayMs?: number;
}

export interface GetResult {
  readonly data: Buffer;
  readonly oack: readonly TftpOption[] | undefined;
  readonly error: { code: number; message: string } | undefined;
  readonly serverPort: number | undefined;
}

/** Reads a file; follows RFC 7440 if windowsize was granted. */
export async function tftpGet(server: Peer, file: string, o: GetOptions = {}): Promise<GetResult> {
  const s = await TestSocket.open(o.localAddress);
  try {
    s.send({ type: "RRQ", filename: file, mode: o.mode ?? "octet", options: o.options ?? [] }, server);
    let blockSize = 512;
    let windowSize = 1;
    let expected = 1;
    let inWindow = 0;
    let tid: Peer | undefined;
    let oack: TftpOption[] | undefined;
    const parts: Buffer[] = [];
    let lastAck = 0;
    let idle = 0;
    for (;;) {
      const m = await s.next(o.timeoutMs ?? 500);
      if (!m) {
        if (++idle > 10) throw new Error(`tftpGet ${file}: no answer`);
        if (tid) s.send({ type: "ACK", block: lastAck }, tid);
        else s.send({ type: "RRQ", filename: file, mode: o.mode ?? "octet", options: o.options ?? [] }, server);
        continue;
      }
      idle = 0;
      tid ??= m.from;
      if (m.from.port !== tid.port) continue;
      const p = m.p;
      if (!p) continue;
      if (p.type === "ERROR") return { data: Buffer.concat(parts), oack, error: { code: p.code, message: p.message }, serverPort: tid.port };
      if (p.type === "OACK") {
        oack = [...p.options];
        for (const opt of p.options) {
          if (opt.name === "blksize") blockSize = Number(opt.value);
          if (opt.name === "windowsize") windowSize = Number(opt.value);
        }
        s.send({ type: "ACK", block: 0 }, tid);
        continue;
      }
      if (p.type !== "DATA") continue;
      if (p.block === expected % 65536) {
        parts.push(Buffer.from(p.data));
        expected++;
        inWindow++;
        const last = p.data.length < blockSize;
        if (last || inWindow >= windowSize) {
          inWindow = 0;
          lastAck = p.block;
          if (o.ackDelayMs) await new Promise((r) => setTimeout(r, o.ackDelayMs));
          await s.send({ type: "ACK", block: p.block }, tid);
        }
        if (last) return { data: Buffer.concat(parts), oack, error: undefined, serverPort: tid.port };
      } else {
        inWindow = 0;
        lastAck = (expected - 1) % 65536;
        s.send({ type: "ACK", block: lastAck }, tid);
      }
    }
  } finally {
    s.close();
  }
}

/** Writes a file in lockstep. */
export async function tftpPut(server: Peer, file: string, data: Buffer, options: readonly TftpOption[] = []): Promise<{ error?: { code: number; message: string } }> {
  const s = await TestSocket.open();
  try {
    s.send({ type: "WRQ", filename: file, mode: "octet", options }, server);
    let blockSize = 512;
    let tid: Peer | undefined;
    let block = 0;
    for (;;) {
      const m = await s.next(1000);
      if (!m) throw new Error("tftpPut: no answer");
      tid ??= m.from;
      const p = m.p;
      if (!p) continue;
      if (p.type === "ERROR") return { error: { code: p.code, message: p.message } };
      if (p.type === "OACK") {
        if (block !== 0) continue;
        for (const opt of p.options) if (opt.name === "blksize") blockSize = Number(opt.value);
      } else if (p.type !== "ACK" || p.block !== block % 65536) continue;
      const start = block * blockSize;
      if (start > data.length) return {};
      block++;
      await s.send({ type: "DATA", block: block % 65536, data: data.subarray(start, start + blockSize) }, tid);
    }
  } finally {
    s.close();
  }
}
