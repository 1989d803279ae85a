/**
 * The receiving side of a write request (WRQ), lockstep only (windowsize is
 * not offered for writes). Pure: events in, actions out.
 *
 * The receiver ACKs every DATA it gets, including a duplicate of the block it
 * just acknowledged (its ACK may have been lost); it is the sender's job not to
 * answer duplicate ACKs (RFC 1123 section 4.2.3.1). After the short final
 * block it "dallies" (RFC 1350 section 6) for one timeout to re-ACK a resent
 * final block.
 */
import { ERROR_CODE, LIMITS } from "../../wire/tftp/index.js";
import { RtoEstimator, type RtoConfig } from "./rto.js";
import type { TransferOutcome } from "./sender.js";

export interface ReceiverConfig extends RtoConfig {
  readonly blockSize: number;
  readonly sendOack: boolean;
  readonly maxRetries: number;
  /** Largest file accepted. */
  readonly maxBytes: number;
}

export type ReceiverEvent =
  | { readonly type: "start"; readonly nowMs: number }
  | { readonly type: "data"; readonly block: number; readonly data: Uint8Array; readonly nowMs: number }
  | { readonly type: "error"; readonly code: number; readonly nowMs: number }
  | { readonly type: "timeout"; readonly nowMs: number };

export type ReceiverAction =
  | { readonly type: "sendOack" }
  | { readonly type: "sendAck"; readonly block: number }
  | { readonly type: "sendError"; readonly code: number; readonly message: string }
  /** Append these bytes to the file (a view into the received packet). */
  | { readonly type: "write"; readonly data: Uint8Array }
  | { readonly type: "armTimer"; readonly delayMs: number }
  | { readonly type: "finish"; readonly outcome: TransferOutcome; readonly clientErrorCode?: number };

type Phase = "idle" | "receiving" | "dallying" | "done";

export class Receiver {
  private phase: Phase = "idle";
  /** Absolute index of the last block received in order. */
  private received = 0;
  private bytes = 0;
  private retries = 0;
  private readonly rto: RtoEstimator;

  constructor(private readonly cfg: ReceiverConfig) {
    this.rto = new RtoEstimator(cfg);
  }

  get bytesReceived(): number {
    return this.bytes;
  }
  get done(): boolean {
    return this.phase === "done";
  }

  handle(ev: ReceiverEvent): ReceiverAction[] {
    if (this.phase === "done") return [];
    switch (ev.type) {
      case "start":
        if (this.phase !== "idle") return [];
        this.phase = "receiving";
        return [this.cfg.sendOack ? { type: "sendOack" } : { type: "sendAck", block: 0 }, this.timer()];
      case "data":
        return this.onData(ev.block, ev.data);
      case "error":
        this.phase = "done";
        return [{ type: "finish", outcome: "cancelled", clientErrorCode: ev.code }];
      case "timeout":
        return this.onTimeout();
    }
  }

  private onData(block: number, data: Uint8Array): ReceiverAction[] {
    const lastWire = this.received % LIMITS.BLOCK_NUMBER_MODULO;
    const expected = (this.received + 1) % LIMITS.BLOCK_NUMBER_MODULO;
    if (this.phase === "dallying" || block !== expected) {
      // A resent block we already have: ACK it again (our ACK was lost). Others are stale.
      return block === lastWire ? [{ type: "sendAck", block: lastWire }, this.timer()] : [];
    }
    if (data.length > this.cfg.blockSize) {
      this.phase = "done";
      return [
        { type: "sendError", code: ERROR_CODE.ILLEGAL_OPERATION, message: "block larger than blksize" },
        { type: "finish", outcome: "failed" },
      ];
    }
    if (this.bytes + data.length > this.cfg.maxBytes) {
      this.phase = "done";
      return [
        { type: "sendError", code: ERROR_CODE.DISK_FULL, message: "file too large" },
        { type: "finish", outcome: "failed" },
      ];
    }
    this.received++;
    this.bytes += data.length;
    this.retries = 0;
    this.rto.resetBackoff();
    const actions: ReceiverAction[] = [];
    if (data.length > 0) actions.push({ type: "write", data });
    actions.push({ type: "sendAck", block });
    if (data.length < this.cfg.blockSize) this.phase = "dallying";
    actions.push(this.timer());
    return actions;
  }

  private onTimeout(): ReceiverAction[] {
    if (this.phase === "dallying") {
      this.phase = "done";
      return [{ type: "finish", outcome: "ok" }];
    }
    if (this.phase !== "receiving") return [];
    if (this.retries >= this.cfg.maxRetries) {
      this.phase = "done";
      return [{ type: "finish", outcome: "timeout" }];
    }
    this.retries++;
    this.rto.backOff();
    const again: ReceiverAction =
      this.received === 0 && this.cfg.sendOack
        ? { type: "sendOack" }
        : { type: "sendAck", block: this.received % LIMITS.BLOCK_NUMBER_MODULO };
    return [again, this.timer()];
  }

  private timer(): ReceiverAction {
    return { type: "armTimer", delayMs: this.rto.rtoMs };
  }
}
