/**
 * Runs one write transfer (WRQ) into the writable directory: the pure Receiver
 * decides, this class writes. The file is written under a temporary name and
 * linked to its final name only when complete, so a failed upload leaves
 * nothing and an existing file is never overwritten (link fails with EEXIST).
 */
import { promises as fsp } from "node:fs";
import { encode, ERROR_CODE, type TftpOption, type TftpPacket } from "../../wire/tftp/index.js";
import { NetasciiDecoder, Receiver, type ReceiverAction, type TransferOutcome } from "../../protocol/tftp/index.js";
import type { TransferIo, TransferResult } from "./read-transfer.js";

export class WriteTransfer {
  private timer: NodeJS.Timeout | undefined;
  private finished = false;
  private writes: Promise<void> = Promise.resolve();
  private writeFailed = false;
  private readonly decoder: NetasciiDecoder | undefined;

  constructor(
    private readonly receiver: Receiver,
    private readonly file: fsp.FileHandle,
    private readonly tmpPath: string,
    private readonly finalPath: string,
    netascii: boolean,
    private readonly oack: readonly TftpOption[],
    private readonly io: TransferIo,
    private readonly onFinish: (r: TransferResult) => void,
  ) {
    this.decoder = netascii ? new NetasciiDecoder() : undefined;
  }

  start(): void {
    this.run(this.receiver.handle({ type: "start", nowMs: this.io.now() }));
  }

  onPacket(p: TftpPacket): void {
    const nowMs = this.io.now();
    if (p.type === "DATA") this.run(this.receiver.handle({ type: "data", block: p.block, data: p.data, nowMs }));
    else if (p.type === "ERROR") this.run(this.receiver.handle({ type: "error", code: p.code, nowMs }));
  }

  onRepeatedRequest(): void {
    // Our ACK 0 / OACK was lost; the receiver resends it on its timer.
  }

  onClientGone(): void {
    this.end("cancelled", "client port unreachable");
  }

  abort(message: string): void {
    if (this.finished) return;
    this.send(encode({ type: "ERROR", code: ERROR_CODE.NOT_DEFINED, message }));
    this.end("failed", message);
  }

  private run(actions: ReceiverAction[]): void {
    for (const a of actions) {
      if (this.finished) return;
      switch (a.type) {
        case "sendOack":
          this.send(encode({ type: "OACK", options: this.oack }));
          break;
        case "sendAck":
          this.send(encode({ type: "ACK", block: a.block }));
          break;
        case "sendError":
          this.send(encode({ type: "ERROR", code: a.code, message: a.message }));
          break;
        case "write":
          this.append(this.decoder ? this.decoder.push(a.data) : Buffer.from(a.data));
          break;
        case "armTimer":
          if (this.timer !== undefined) clearTimeout(this.timer);
          this.timer = setTimeout(() => this.run(this.receiver.handle({ type: "timeout", nowMs: this.io.now() })), a.delayMs);
          break;
        case "finish":
          this.end(a.outcome, undefined, a.clientErrorCode);
          break;
      }
    }
  }

  private append(data: Buffer): void {
    // Copied above: the packet buffer is not ours to keep.
    this.writes = this.writes.then(async () => {
      if (this.writeFailed) return;
      try {
        await this.file.write(data, 0, data.length);
      } catch {
        this.writeFailed = true;
        this.send(encode({ type: "ERROR", code: ERROR_CODE.DISK_FULL, message: "write failed" }));
        this.end("failed", "write failed");
      }
    });
  }

  private send(msg: Buffer): void {
    try {
      this.io.send(msg);
    } catch {
      // socket closed
    }
  }

  private end(outcome: TransferOutcome, reason?: string, clientErrorCode?: number): void {
    if (this.finished) return;
    this.finished = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
    const bytes = this.receiver.bytesReceived;
    void this.writes.then(async () => {
      let finalOutcome = outcome;
      let why = reason;
      try {
        if (outcome === "ok" && !this.writeFailed) {
          if (this.decoder) {
            const tail = this.decoder.end();
            if (tail.length > 0) await this.file.write(tail);
          }
          await this.file.close();
          await fsp.link(this.tmpPath, this.finalPath);
        } else {
          await this.file.close();
        }
      } catch (e) {
        finalOutcome = "failed";
        why = `finishing upload: ${(e as NodeJS.ErrnoException).code ?? "error"}`;
      }
      await fsp.unlink(this.tmpPath).catch(() => undefined);
      this.onFinish({ outcome: finalOutcome, bytes, clientErrorCode, reason: why, blocksResent: 0 });
    });
  }
}
