/**
 * A read transfer on the native data path: the same Sender (the one
 * authority on the protocol) as ReadTransfer, with the socket and the blocks
 * on the native side (native/tftp_data.c).
 *
 * The hand-over: while the Sender is sending, JS grants the native side
 * "answer a new ACK with the next window, as long as the window ends before
 * the final block" (`grant` with the Sender's acked and sent indexes). Each
 * ACK it answers is logged as (block, time, first, last). Before JS does
 * anything else for this transfer -- an event handed back, its timer, a
 * repeated request -- it replays the log through `Sender.ack()`, which must
 * answer SEND_WINDOW with the same window; if not, the transfer is aborted
 * (never seen; it would be a bug). Then JS acts and grants again. So the
 * Sender sees every ACK the client sent, in order, with its arrival time,
 * exactly as on the pure-Node path; retransmission timing stays here.
 */
import { encode, ERROR_CODE, type TftpOption, type TftpPacket } from "../../wire/tftp/index.js";
import { ACK_RESULT, type Sender, type SenderAction } from "../../protocol/tftp/index.js";
import { NATIVE_EVENT, NATIVE_RESULT, type NativeAddon, type NativeTransfer } from "./native.js";
import type { BlockSource } from "./source.js";
import { execAction, transferResult, type ActionTarget, type TransferResult } from "./read-transfer.js";
import type { ClientRef } from "./types.js";
import { DeadlineTimer } from "./deadline-timer.js";

/** ACKs the native side may answer before JS replays them (4 doubles each, 4 KiB per transfer). */
export const NATIVE_LOG_ENTRIES = 128;

export interface NativeTransferSetup {
  readonly addon: NativeAddon;
  readonly localAddress: string;
  readonly client: ClientRef;
  readonly gso: boolean;
  readonly decode: (msg: Buffer) => TftpPacket | undefined;
}

export class NativeReadTransfer {
  private readonly log = new Float64Array(1 + 4 * NATIVE_LOG_ENTRIES);
  private readonly nt: NativeTransfer;
  private readonly now: () => number;
  /** The retransmission timer, on the native clock (the log's timestamps). */
  private readonly timer: DeadlineTimer;
  private finished = false;
  /**
   * A timeout resent a window (the timer is backed off): the next ACK comes to
   * JS, which re-arms the timer at the normal timeout from there; the native
   * side does not move the timer, and the backed-off one would detect the next loss late.
   */
  private resent = false;
  /** ACKs the native side answered (replayed), for stats and tests. */
  nativeAcks = 0;

  /** Throws (with the errno's code) if the socket cannot be bound or connected. */
  constructor(
    private readonly sender: Sender,
    private readonly source: BlockSource & { readonly fd: number },
    private readonly oack: readonly TftpOption[],
    private readonly setup: NativeTransferSetup,
    private readonly onFinish: (r: TransferResult) => void,
  ) {
    const a = setup.addon;
    this.now = () => a.now();
    this.timer = new DeadlineTimer(this.now, () => this.onTimer());
    this.nt = new a.Transfer(setup.localAddress, setup.client.address, setup.client.port, source.fd, source.sizeBytes, this.log, this.onEvent, setup.gso);
  }

  get localPort(): number {
    return this.nt.localPort();
  }

  /** Windows go out with UDP GSO (see NativeTransfer.usesGso); for tests. */
  get usesGso(): boolean {
    return this.nt.usesGso();
  }

  start(): void {
    this.run(this.sender.handle({ type: "start", nowMs: this.now() }));
    this.regrant();
  }

  /** Packets reach this transfer through its native socket; the server's listening socket only forwards repeated requests. */
  onPacket(p: TftpPacket): void {
    if (!this.replay()) return;
    this.packet(p);
    this.regrant();
  }

  onRepeatedRequest(): void {
    if (this.finished || !this.replay()) return;
    this.run(this.sender.handle({ type: "requestRepeated", nowMs: this.now() }));
    this.regrant();
  }

  /** The client's port is unreachable (ICMP): it has gone. */
  onClientGone(): void {
    if (this.finished) return;
    this.replay();
    if (this.finished) return;
    const allSent = this.sender.ackedIndex + this.sender.windowSize >= this.sender.lastIndex;
    this.end(allSent ? "ok" : "cancelled", "client port unreachable");
  }

  abort(message: string): void {
    if (this.finished) return;
    this.nt.send(encode({ type: "ERROR", code: ERROR_CODE.NOT_DEFINED, message }));
    this.end("failed", message);
  }

  private readonly onEvent = (kind: number, value: number, packet: Buffer | undefined): void => {
    if (this.finished || !this.replay()) return;
    switch (kind) {
      case NATIVE_EVENT.ACK:
        this.ack(value);
        break;
      case NATIVE_EVENT.PACKET: {
        const p = packet && this.setup.decode(packet);
        if (p) this.packet(p);
        break;
      }
      case NATIVE_EVENT.GONE:
        this.onClientGone();
        return;
      default:
        // LOG_FULL: the replay was the point.
        break;
    }
    this.regrant();
  };

  private packet(p: TftpPacket): void {
    if (p.type === "ACK") this.ack(p.block);
    else if (p.type === "ERROR") this.run(this.sender.handle({ type: "error", code: p.code, nowMs: this.now() }));
  }

  /**
   * Feeds the ACKs the native side answered to the Sender, in order, with
   * their arrival times; false (and the transfer aborted) if the Sender would
   * have sent another window.
   */
  private replay(): boolean {
    const log = this.log;
    const n = log[0]!;
    for (let i = 0; i < n; i++) {
      const at = 1 + 4 * i;
      const r = this.sender.ack(log[at]!, log[at + 1]!);
      if (r !== ACK_RESULT.SEND_WINDOW || this.sender.windowFirst !== log[at + 2] || this.sender.windowLast !== log[at + 3]) {
        log[0] = 0;
        this.abort("internal error: native data path out of step");
        return false;
      }
      this.timer.setDeadline(log[at + 1]! + this.sender.rtoMs);
    }
    this.nativeAcks += n;
    log[0] = 0;
    return !this.finished;
  }

  private regrant(): void {
    if (this.finished) return;
    const s = this.sender;
    if (s.sending) this.nt.grant(s.ackedIndex, s.sentIndex, s.windowSize, s.lastIndex - 1, s.blockSize, this.resent);
    else this.nt.revoke();
  }

  private ack(block: number): void {
    const nowMs = this.now();
    switch (this.sender.ack(block, nowMs)) {
      case ACK_RESULT.IGNORED:
        return;
      case ACK_RESULT.FINISHED:
        this.end("ok");
        return;
      case ACK_RESULT.SEND_WINDOW:
        this.resent = false;
        this.sendBlocks(this.sender.windowFirst, this.sender.windowLast);
        this.arm(this.sender.rtoMs);
        return;
      case ACK_RESULT.USE_HANDLE:
        this.run(this.sender.handle({ type: "ack", block, nowMs }));
        return;
    }
  }

  private readonly target: ActionTarget = {
    sendOack: () => {
      if (this.nt.send(encode({ type: "OACK", options: this.oack })) === NATIVE_RESULT.GONE) this.onClientGone();
    },
    sendData: (first, last) => this.sendBlocks(first, last),
    arm: (delayMs) => this.arm(delayMs),
    finish: (outcome, code) => this.end(outcome, undefined, code),
  };

  private run(actions: SenderAction[]): void {
    for (const a of actions) {
      if (this.finished) return;
      execAction(a, this.target);
    }
  }

  private sendBlocks(first: number, last: number): void {
    const r = this.nt.sendBlocks(first, last, this.sender.blockSize);
    if (r === NATIVE_RESULT.SHORT) this.abort("file changed during transfer");
    else if (r === NATIVE_RESULT.READ_ERROR) this.abort(`read error: errno ${this.nt.lastErrno()}`);
    else if (r === NATIVE_RESULT.GONE) this.onClientGone();
  }

  private arm(delayMs: number): void {
    this.timer.arm(delayMs);
  }

  private onTimer(): void {
    // The replay may move the deadline: the native side made progress since it was set.
    if (this.finished || !this.replay()) return;
    if (this.timer.dueOrSleep()) {
      this.resent = true;
      this.run(this.sender.handle({ type: "timeout", nowMs: this.now() }));
    }
    this.regrant();
  }

  private end(outcome: TransferResult["outcome"], reason?: string, clientErrorCode?: number): void {
    if (this.finished) return;
    this.finished = true;
    this.timer.clear();
    // Close the socket before the file: the native side never reads the descriptor after close().
    this.nt.close();
    void this.source.close();
    this.onFinish(transferResult(this.sender, this.source.sizeBytes, outcome, reason, clientErrorCode));
  }
}
