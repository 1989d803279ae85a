/**
 * Runs one read transfer: feeds packets and timer expiry into the pure Sender
 * and carries out its actions (read blocks, send, arm the timer).
 *
 * Blocks are read a chunk at a time, laid out as ready packets (4-byte header
 * then data, one preadv per chunk), and the next chunk is read ahead while the
 * current one is sent, so disk latency stays off the ACK -> DATA path.
 * Memory per transfer: two chunks of max(window, readAhead) x (blksize + 4).
 *
 * The ACK -> DATA path is the per-block cost, so it creates no objects but
 * the DATA subarray that socket.send takes: the Sender's `ack()` reports a
 * number, the blocks go out as subarrays of the ready chunk, and the one
 * transfer timer is not re-armed per block: it keeps a deadline, and when it
 * fires early it sleeps on to the deadline.
 */
import { performance } from "node:perf_hooks";
import { DeadlineTimer } from "./deadline-timer.js";
import { encode, encodeDataHeader, ERROR_CODE, LIMITS, type TftpOption, type TftpPacket } from "../../wire/tftp/index.js";
import { ACK_RESULT, blockRange, Sender, type SenderAction, type TransferOutcome } from "../../protocol/tftp/index.js";
import type { BlockSource } from "./source.js";

export interface TransferIo {
  send(msg: Buffer | Buffer[]): void;
  now(): number;
}

export interface TransferResult {
  readonly outcome: TransferOutcome;
  readonly bytes: number;
  readonly clientErrorCode: number | undefined;
  readonly reason: string | undefined;
  readonly blocksResent: number;
}

/** What a read transfer reports when it ends: bytes are what the client acknowledged (all of them if "ok"). */
export function transferResult(
  sender: Sender,
  sizeBytes: number,
  outcome: TransferOutcome,
  reason: string | undefined,
  clientErrorCode: number | undefined,
): TransferResult {
  return {
    outcome,
    bytes: outcome === "ok" ? sizeBytes : Math.min(sender.ackedIndex * sender.blockSize, sizeBytes),
    clientErrorCode,
    reason,
    blocksResent: sender.counters.blocksResent,
  };
}

/** What carrying out the Sender's actions takes; both data paths supply one (see `execAction`). */
export interface ActionTarget {
  sendOack(): void;
  sendData(first: number, last: number): void;
  arm(delayMs: number): void;
  finish(outcome: TransferOutcome, clientErrorCode: number | undefined): void;
}

export function execAction(a: SenderAction, t: ActionTarget): void {
  switch (a.type) {
    case "sendOack":
      t.sendOack();
      break;
    case "sendData":
      t.sendData(a.first, a.last);
      break;
    case "armTimer":
      t.arm(a.delayMs);
      break;
    case "finish":
      t.finish(a.outcome, a.clientErrorCode);
      break;
  }
}

/** Blocks first..first+count-1 as packets, each at k * (blockSize + 4). */
interface Chunk {
  readonly first: number;
  readonly count: number;
  readonly blockSize: number;
  readonly packets: Buffer;
}

export class ReadTransfer {
  private queue: SenderAction[] = [];
  private pumping = false;
  private loading = false;
  private chunk: Chunk | undefined;
  /** The chunk after `chunk`, being read or ready. */
  private next: { first: number; ready: Chunk | undefined } | undefined;
  private readonly timer = new DeadlineTimer(() => performance.now(), () => this.onTimer());
  private finished = false;

  constructor(
    private readonly sender: Sender,
    private readonly source: BlockSource,
    private readonly oack: readonly TftpOption[],
    private readonly io: TransferIo,
    private readonly readAheadBlocks: number,
    private readonly onFinish: (r: TransferResult) => void,
  ) {}

  start(): void {
    this.run(this.sender.handle({ type: "start", nowMs: this.io.now() }));
  }

  onPacket(p: TftpPacket): void {
    if (p.type === "ACK") this.onAck(p.block);
    else if (p.type === "ERROR") this.run(this.sender.handle({ type: "error", code: p.code, nowMs: this.io.now() }));
    // Anything else on a read transfer is ignored: it cannot move the transfer.
  }

  /** An ACK for `block` (wire number); the path of every block. */
  onAck(block: number): void {
    const nowMs = this.io.now();
    switch (this.sender.ack(block, nowMs)) {
      case ACK_RESULT.IGNORED:
        return;
      case ACK_RESULT.FINISHED:
        this.run([{ type: "finish", outcome: "ok" }]);
        return;
      case ACK_RESULT.SEND_WINDOW: {
        const first = this.sender.windowFirst;
        const last = this.sender.windowLast;
        // Nothing queued and the blocks ready: send now, as pump() would.
        if (this.queue.length === 0 && !this.pumping && !this.loading && !this.finished && this.ensure(first, last)) {
          this.sendBlocks(first, last);
          this.arm(this.sender.rtoMs);
          return;
        }
        // Behind a read (ensure may just have started one): queue it for the pump.
        this.run([
          { type: "sendData", first, last, retransmit: false },
          { type: "armTimer", delayMs: this.sender.rtoMs },
        ]);
        return;
      }
      case ACK_RESULT.USE_HANDLE:
        this.run(this.sender.handle({ type: "ack", block, nowMs }));
        return;
    }
  }

  onRepeatedRequest(): void {
    this.run(this.sender.handle({ type: "requestRepeated", nowMs: this.io.now() }));
  }

  /** The client's port is unreachable (ICMP): it has gone. */
  onClientGone(): void {
    if (this.finished) return;
    // If the last block went out, the client only exits after receiving it all.
    const allSent = this.sender.ackedIndex + this.sender.windowSize >= this.sender.lastIndex;
    this.end(allSent ? "ok" : "cancelled", "client port unreachable");
  }

  abort(message: string): void {
    if (this.finished) return;
    this.sendError(ERROR_CODE.NOT_DEFINED, message);
    this.end("failed", message);
  }

  private run(actions: SenderAction[]): void {
    this.queue.push(...actions);
    this.pump();
  }

  private pump(): void {
    if (this.pumping || this.loading) return;
    this.pumping = true;
    try {
      while (this.queue.length > 0 && !this.finished) {
        const a = this.queue[0]!;
        if (a.type === "sendData") {
          // Blocks acknowledged while we were reading need not go out.
          if (a.last <= this.sender.ackedIndex) {
            this.queue.shift();
            continue;
          }
          if (!this.ensure(a.first, a.last)) return;
        }
        this.queue.shift();
        execAction(a, this.target);
      }
    } finally {
      this.pumping = false;
    }
  }

  /**
   * Makes blocks first..last available in `chunk` (+ `next`). Returns false if
   * a read had to start; the pump resumes when it completes.
   */
  private ensure(first: number, last: number): boolean {
    const bs = this.sender.blockSize;
    const c = this.chunk;
    const n = this.next;
    if (c && c.blockSize === bs && first >= c.first) {
      if (last < c.first + c.count) return true;
      if (n && !n.ready) {
        this.loading = true; // the read-ahead's completion resumes the pump
        return false;
      }
      if (n?.ready && last < n.ready.first + n.ready.count) {
        // A window may straddle both chunks; drop the old one once it is behind.
        if (first >= n.ready.first) this.advance();
        return true;
      }
    }
    this.chunk = undefined;
    this.next = undefined;
    this.loading = true;
    void this.readChunk(first, bs).then((ch) => {
      this.loading = false;
      if (!ch || this.finished) return;
      this.chunk = ch;
      this.readAhead();
      this.pump();
    });
    return false;
  }

  /** Moves on to the read-ahead chunk and starts reading the one after. */
  private advance(): void {
    this.chunk = this.next!.ready;
    this.next = undefined;
    this.readAhead();
  }

  private readAhead(): void {
    const c = this.chunk;
    if (!c) return;
    const first = c.first + c.count;
    if (first > this.sender.lastIndex) return;
    const slot: { first: number; ready: Chunk | undefined } = { first, ready: undefined };
    this.next = slot;
    void this.readChunk(first, c.blockSize).then((ch) => {
      if (this.next !== slot || !ch || this.finished) return;
      slot.ready = ch;
      if (this.loading) {
        this.loading = false;
        this.pump();
      }
    });
  }

  /** Reads blocks from `first` into a packet-layout chunk; aborts the transfer on error. */
  private async readChunk(first: number, bs: number): Promise<Chunk | undefined> {
    const count = Math.min(Math.max(this.sender.windowSize, this.readAheadBlocks), this.sender.lastIndex - first + 1);
    const stride = bs + LIMITS.DATA_HEADER_BYTES;
    const packets = Buffer.allocUnsafe(count * stride);
    const views: Buffer[] = [];
    let want = 0;
    for (let k = 0; k < count; k++) {
      const r = blockRange(first + k, bs, this.source.sizeBytes);
      encodeDataHeader(packets, (first + k) % LIMITS.BLOCK_NUMBER_MODULO, k * stride);
      const len = r.end - r.start;
      if (len > 0) views.push(packets.subarray(k * stride + 4, k * stride + 4 + len));
      want += len;
    }
    try {
      const got = views.length === 0 ? 0 : await this.source.readv(views, blockRange(first, bs, this.source.sizeBytes).start);
      if (got !== want) {
        this.abort("file changed during transfer");
        return undefined;
      }
      return { first, count, blockSize: bs, packets };
    } catch (e) {
      this.abort(`read error: ${(e as NodeJS.ErrnoException).code ?? "unknown"}`);
      return undefined;
    }
  }

  private readonly target: ActionTarget = {
    sendOack: () => this.io.send(encode({ type: "OACK", options: this.oack })),
    sendData: (first, last) => this.sendBlocks(first, last),
    arm: (delayMs) => this.arm(delayMs),
    finish: (outcome, code) => this.end(outcome, undefined, code),
  };

  private sendBlocks(first: number, last: number): void {
    const size = this.source.sizeBytes;
    for (let i = first; i <= last; i++) {
      const c = i < this.chunk!.first + this.chunk!.count ? this.chunk! : this.next!.ready!;
      const stride = c.blockSize + LIMITS.DATA_HEADER_BYTES;
      const at = (i - c.first) * stride;
      // Data bytes of block i: a full block, or what is left of the file (blockRange without the object).
      const len = Math.min(c.blockSize, size - (i - 1) * c.blockSize);
      this.io.send(c.packets.subarray(at, at + LIMITS.DATA_HEADER_BYTES + len));
    }
  }

  private arm(delayMs: number): void {
    this.timer.arm(delayMs);
  }

  private onTimer(): void {
    if (this.finished || !this.timer.dueOrSleep()) return;
    this.run(this.sender.handle({ type: "timeout", nowMs: this.io.now() }));
  }

  private sendError(code: number, message: string): void {
    try {
      this.io.send(encode({ type: "ERROR", code, message }));
    } catch {
      // The socket may already be closed; nothing more to tell the client.
    }
  }

  private end(outcome: TransferOutcome, reason?: string, clientErrorCode?: number): void {
    if (this.finished) return;
    this.finished = true;
    this.timer.clear();
    this.chunk = undefined;
    this.next = undefined;
    void this.source.close();
    this.onFinish(transferResult(this.sender, this.source.sizeBytes, outcome, reason, clientErrorCode));
  }
}
