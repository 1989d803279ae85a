/**
 * The sending side of a read request (RRQ) as a pure state machine: events in,
 * actions out, time passed in with every event.
 *
 * Blocks are counted with absolute indexes (1, 2, ... past 65535); the wire
 * block number is the index modulo 65536, so a transfer rolls over to 0 after
 * 65535 like tftp-hpa, atftp and curl expect.
 *
 * Lockstep (RFC 1350) is windowed sending with a window of 1 (RFC 7440).
 * A new ACK moves the window to the block after it; an ACK that is a
 * duplicate or older than the window start is ignored. Never resending on a
 * duplicate ACK is the cure for the Sorcerer's Apprentice syndrome (RFC 1123
 * section 4.2.3.1): only the timer resends.
 */
import { ERROR_CODE, LIMITS } from "../../wire/tftp/index.js";
import { RtoEstimator, type RtoConfig } from "./rto.js";

export type TransferOutcome =
  /** The last block was acknowledged (or the last block went out of a transfer the client received in full). */
  | "ok"
  /** The client ended the transfer with ERROR 8 right after our OACK: UEFI firmware asking for the size. */
  | "probe"
  /** The client sent an ERROR. */
  | "cancelled"
  /** Retries exhausted. */
  | "timeout"
  /** The server could not go on (read error, shutdown). */
  | "failed";

export interface SenderConfig extends RtoConfig {
  readonly sizeBytes: number;
  readonly blockSize: number;
  readonly windowSize: number;
  /** Options were accepted: send an OACK and wait for ACK 0 (RFC 2347). */
  readonly sendOack: boolean;
  /** Timeouts in a row before giving up. */
  readonly maxRetries: number;
  /** Repeated RRQs while waiting for ACK 0 before falling back to RFC 1350 defaults. */
  readonly oackFallbackAfterRepeats: number;
}

export type SenderEvent =
  | { readonly type: "start"; readonly nowMs: number }
  | { readonly type: "ack"; readonly block: number; readonly nowMs: number }
  | { readonly type: "error"; readonly code: number; readonly nowMs: number }
  | { readonly type: "timeout"; readonly nowMs: number }
  /** The client sent its RRQ again (to the server port) while this transfer runs. */
  | { readonly type: "requestRepeated"; readonly nowMs: number };

export type SenderAction =
  | { readonly type: "sendOack" }
  /** Send blocks `first..last` (absolute indexes, inclusive). */
  | { readonly type: "sendData"; readonly first: number; readonly last: number; readonly retransmit: boolean }
  /** Arm the one transfer timer (replacing any earlier one). */
  | { readonly type: "armTimer"; readonly delayMs: number }
  | { readonly type: "finish"; readonly outcome: TransferOutcome; readonly clientErrorCode?: number };

/**
 * What `Sender.ack()` reports: the ACK while sending is the event of every
 * block, so it has a path that creates no objects.
 */
export const ACK_RESULT = {
  /** Duplicate or stale ACK: nothing to do. */
  IGNORED: 0,
  /** Send blocks `windowFirst..windowLast` and arm the timer for `rtoMs` (what `handle` returns as sendData + armTimer). */
  SEND_WINDOW: 1,
  /** The last block was acknowledged: the transfer finished "ok". */
  FINISHED: 2,
  /** Not in the sending phase; nothing changed: pass the ACK to `handle`. */
  USE_HANDLE: 3,
} as const;
export type AckResult = (typeof ACK_RESULT)[keyof typeof ACK_RESULT];

type Phase = "idle" | "oack" | "sending" | "done";

export class Sender {
  private phase: Phase = "idle";
  private blockSizeNow: number;
  private windowSizeNow: number;
  private lastIndexNow: number;
  /** Highest block index acknowledged. */
  private acked = 0;
  /** Highest block index sent. */
  private sent = 0;
  private retries = 0;
  private repeats = 0;
  private sentAtMs = 0;
  /** The window last sent (absolute indexes, inclusive). */
  private winFirst = 0;
  private winLast = 0;
  private resentSinceSample = false;
  private readonly rto: RtoEstimator;
  /** Counters for stats and tests. */
  readonly counters = { duplicateAcks: 0, staleAcks: 0, timeouts: 0, blocksSent: 0, blocksResent: 0 };

  constructor(private readonly cfg: SenderConfig) {
    this.blockSizeNow = cfg.blockSize;
    this.windowSizeNow = cfg.windowSize;
    this.lastIndexNow = lastIndex(cfg.sizeBytes, cfg.blockSize);
    this.rto = new RtoEstimator(cfg);
  }

  get blockSize(): number {
    return this.blockSizeNow;
  }
  get windowSize(): number {
    return this.windowSizeNow;
  }
  /** Index of the final (short, possibly empty) block. */
  get lastIndex(): number {
    return this.lastIndexNow;
  }
  get ackedIndex(): number {
    return this.acked;
  }
  /** Highest block index sent so far. */
  get sentIndex(): number {
    return this.sent;
  }
  /** In the sending phase: where `ack()` answers new ACKs with SEND_WINDOW (the native data path's grant). */
  get sending(): boolean {
    return this.phase === "sending";
  }
  get done(): boolean {
    return this.phase === "done";
  }
  get rtoMs(): number {
    return this.rto.rtoMs;
  }
  /** First block of the window last sent (see ACK_RESULT.SEND_WINDOW). */
  get windowFirst(): number {
    return this.winFirst;
  }
  /** Last block of the window last sent. */
  get windowLast(): number {
    return this.winLast;
  }

  /**
   * The same as `handle({ type: "ack", block, nowMs })`, with the outcome as
   * a number instead of actions, so the per-block path creates no action objects.
   */
  ack(block: number, nowMs: number): AckResult {
    if (this.phase !== "sending") return ACK_RESULT.USE_HANDLE;
    const delta = (block - (this.acked % LIMITS.BLOCK_NUMBER_MODULO) + LIMITS.BLOCK_NUMBER_MODULO) % LIMITS.BLOCK_NUMBER_MODULO;
    if (delta === 0) {
      this.counters.duplicateAcks++;
      return ACK_RESULT.IGNORED;
    }
    if (delta > this.sent - this.acked) {
      this.counters.staleAcks++;
      return ACK_RESULT.IGNORED;
    }
    this.acked += delta;
    this.progress(nowMs);
    if (this.acked >= this.lastIndexNow) {
      this.phase = "done";
      return ACK_RESULT.FINISHED;
    }
    this.advanceWindow(nowMs, false);
    return ACK_RESULT.SEND_WINDOW;
  }

  handle(ev: SenderEvent): SenderAction[] {
    if (this.phase === "done") return [];
    switch (ev.type) {
      case "start":
        return this.onStart(ev.nowMs);
      case "ack":
        return this.onAck(ev.block, ev.nowMs);
      case "error":
        return this.finish(
          this.phase === "oack" && ev.code === ERROR_CODE.OPTION_REFUSED ? "probe" : "cancelled",
          ev.code,
        );
      case "timeout":
        return this.onTimeout(ev.nowMs);
      case "requestRepeated":
        return this.onRepeat(ev.nowMs);
    }
  }

  private onStart(nowMs: number): SenderAction[] {
    if (this.phase !== "idle") return [];
    if (this.cfg.sendOack) {
      this.phase = "oack";
      this.sentAtMs = nowMs;
      this.resentSinceSample = false;
      return [{ type: "sendOack" }, { type: "armTimer", delayMs: this.rto.rtoMs }];
    }
    this.phase = "sending";
    return this.sendWindow(nowMs, false);
  }

  private onAck(block: number, nowMs: number): SenderAction[] {
    if (this.phase === "oack") {
      // RFC 2347: the client accepts the OACK with ACK 0; anything else is stale.
      if (block !== 0) {
        this.counters.staleAcks++;
        return [];
      }
      this.progress(nowMs);
      this.phase = "sending";
      return this.sendWindow(nowMs, false);
    }
    switch (this.ack(block, nowMs)) {
      case ACK_RESULT.SEND_WINDOW:
        return this.windowActions(false);
      case ACK_RESULT.FINISHED:
        return [{ type: "finish", outcome: "ok" }];
      default:
        return [];
    }
  }

  private onTimeout(nowMs: number): SenderAction[] {
    if (this.phase !== "oack" && this.phase !== "sending") return [];
    this.counters.timeouts++;
    if (this.retries >= this.cfg.maxRetries) return this.finish("timeout");
    this.retries++;
    this.rto.backOff();
    this.resentSinceSample = true;
    if (this.phase === "oack") return [{ type: "sendOack" }, { type: "armTimer", delayMs: this.rto.rtoMs }];
    return this.sendWindow(nowMs, true);
  }

  private onRepeat(nowMs: number): SenderAction[] {
    if (this.phase !== "oack") return [];
    this.repeats++;
    if (this.repeats < this.cfg.oackFallbackAfterRepeats) {
      // Most likely our OACK was lost: send it again.
      this.resentSinceSample = true;
      return [{ type: "sendOack" }, { type: "armTimer", delayMs: this.rto.rtoMs }];
    }
    // The client keeps asking as if no OACK came: it does not understand
    // options. RFC 2347 lets the server answer with DATA 1 and RFC 1350 defaults.
    this.blockSizeNow = LIMITS.DEFAULT_BLOCK_SIZE;
    this.windowSizeNow = 1;
    this.lastIndexNow = lastIndex(this.cfg.sizeBytes, this.blockSizeNow);
    this.phase = "sending";
    this.retries = 0;
    return this.sendWindow(nowMs, false);
  }

  private progress(nowMs: number): void {
    // Karn's rule: no RTT sample from a retransmitted send. Unlike TCP we drop
    // the backoff on any progress: on a LAN a stall is a lost packet, not
    // congestion, and keeping a multi-second timeout would cost the next loss dearly.
    if (!this.resentSinceSample) this.rto.sample(nowMs - this.sentAtMs);
    this.rto.resetBackoff();
    this.retries = 0;
  }

  private sendWindow(nowMs: number, retransmit: boolean): SenderAction[] {
    this.advanceWindow(nowMs, retransmit);
    return this.windowActions(retransmit);
  }

  private windowActions(retransmit: boolean): SenderAction[] {
    return [
      { type: "sendData", first: this.winFirst, last: this.winLast, retransmit },
      { type: "armTimer", delayMs: this.rto.rtoMs },
    ];
  }

  /** Moves the window to the block after the last ACK and books it as sent. */
  private advanceWindow(nowMs: number, retransmit: boolean): void {
    const first = this.acked + 1;
    const last = Math.min(this.acked + this.windowSizeNow, this.lastIndexNow);
    const fresh = Math.max(0, last - this.sent);
    this.counters.blocksSent += last - first + 1;
    this.counters.blocksResent += last - first + 1 - fresh;
    if (last > this.sent) this.sent = last;
    if (!retransmit) {
      this.sentAtMs = nowMs;
      this.resentSinceSample = fresh < last - first + 1;
    }
    this.winFirst = first;
    this.winLast = last;
  }

  private finish(outcome: TransferOutcome, clientErrorCode?: number): SenderAction[] {
    this.phase = "done";
    return [clientErrorCode === undefined ? { type: "finish", outcome } : { type: "finish", outcome, clientErrorCode }];
  }
}

/** Index of the last block: a file of exactly n blocks ends with an empty block (RFC 1350 section 6). */
export function lastIndex(sizeBytes: number, blockSize: number): number {
  return Math.floor(sizeBytes / blockSize) + 1;
}

/** Byte range [start, end) of block `index`. */
export function blockRange(index: number, blockSize: number, sizeBytes: number): { start: number; end: number } {
  const start = (index - 1) * blockSize;
  return { start, end: Math.min(start + blockSize, sizeBytes) };
}
