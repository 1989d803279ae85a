/**
 * Runs one read transfer: feeds packets and timer expiry into the pure Sender
 * and carries out its actions (read blocks, send, arm the timer). Memory is one
 * chunk of max(window, readAhead) blocks; a chunk is replaced, never grown.
 */
import { encode, encodeDataHeader, ERROR_CODE, LIMITS, type TftpOption, type TftpPacket } from "../../wire/tftp/index.js";
import { blockRange, Sender, type SenderAction, type TransferOutcome } from "../../protocol/tftp/index.js";
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

interface Chunk {
  readonly first: number;
  readonly count: number;
  readonly blockSize: number;
  readonly data: Buffer;
  readonly headers: Buffer;
}

export class ReadTransfer {
  private queue: SenderAction[] = [];
  private pumping = false;
  private loading = false;
  private chunk: Chunk | undefined;
  private timer: NodeJS.Timeout | undefined;
  private timerDelayMs = -1;
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
    if (p.type === "ACK") this.run(this.sender.handle({ type: "ack", block: p.block, nowMs: this.io.now() }));
    else if (p.type === "ERROR") this.run(this.sender.handle({ type: "error", code: p.code, nowMs: this.io.now() }));
    // Anything else on a read transfer is ignored: it cannot move the transfer.
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
          if (!this.covered(a.first, a.last) && !this.loadFromMemory()) {
            this.loadFromFile(a.first);
            return;
          }
        }
        this.queue.shift();
        this.exec(a);
      }
    } finally {
      this.pumping = false;
    }
  }

  private exec(a: SenderAction): void {
    switch (a.type) {
      case "sendOack":
        this.io.send(encode({ type: "OACK", options: this.oack }));
        break;
      case "sendData":
        this.sendBlocks(a.first, a.last);
        break;
      case "armTimer":
        this.arm(a.delayMs);
        break;
      case "finish":
        this.end(a.outcome, undefined, a.clientErrorCode);
        break;
    }
  }

  private covered(first: number, last: number): boolean {
    const c = this.chunk;
    return c !== undefined && c.blockSize === this.sender.blockSize && first >= c.first && last < c.first + c.count;
  }

  private headersFor(first: number, count: number): Buffer {
    const headers = Buffer.allocUnsafe(count * LIMITS.DATA_HEADER_BYTES);
    for (let i = 0; i < count; i++) {
      encodeDataHeader(headers, (first + i) % LIMITS.BLOCK_NUMBER_MODULO, i * LIMITS.DATA_HEADER_BYTES);
    }
    return headers;
  }

  /** In-memory content is one chunk holding every block. */
  private loadFromMemory(): boolean {
    const mem = this.source.memory;
    if (!mem) return false;
    const count = this.sender.lastIndex;
    this.chunk = { first: 1, count, blockSize: this.sender.blockSize, data: mem, headers: this.headersFor(1, count) };
    return true;
  }

  /** Reads the chunk that starts at block `first`, then resumes the queue. */
  private loadFromFile(first: number): void {
    const bs = this.sender.blockSize;
    const count = Math.min(Math.max(this.sender.windowSize, this.readAheadBlocks), this.sender.lastIndex - first + 1);
    const pos = blockRange(first, bs, this.source.sizeBytes).start;
    const want = blockRange(first + count - 1, bs, this.source.sizeBytes).end - pos;
    const data = Buffer.allocUnsafe(want);
    this.loading = true;
    this.source.read(data, want, pos).then(
      (got) => {
        this.loading = false;
        if (this.finished) return;
        if (got < want) {
          this.abort("file changed during transfer");
          return;
        }
        this.chunk = { first, count, blockSize: bs, data, headers: this.headersFor(first, count) };
        this.pump();
      },
      (e: unknown) => {
        this.loading = false;
        this.abort(`read error: ${(e as NodeJS.ErrnoException).code ?? "unknown"}`);
      },
    );
  }

  private sendBlocks(first: number, last: number): void {
    const c = this.chunk!;
    const bs = c.blockSize;
    const base = (c.first - 1) * bs;
    for (let i = first; i <= last; i++) {
      const k = i - c.first;
      const r = blockRange(i, bs, this.source.sizeBytes);
      this.io.send([c.headers.subarray(k * 4, k * 4 + 4), c.data.subarray(r.start - base, r.end - base)]);
    }
  }

  private arm(delayMs: number): void {
    if (this.timer !== undefined && delayMs === this.timerDelayMs) {
      this.timer.refresh();
      return;
    }
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timerDelayMs = delayMs;
    this.timer = setTimeout(() => this.run(this.sender.handle({ type: "timeout", nowMs: this.io.now() })), delayMs);
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
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    this.chunk = undefined;
    const bytes = Math.min(this.sender.ackedIndex * this.sender.blockSize, this.source.sizeBytes);
    void this.source.close();
    this.onFinish({
      outcome,
      bytes: outcome === "ok" ? this.source.sizeBytes : bytes,
      clientErrorCode,
      reason,
      blocksResent: this.sender.counters.blocksResent,
    });
  }
}
