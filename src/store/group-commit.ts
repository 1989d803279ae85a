/**
 * Group commit: writes that arrive close together share one transaction, so
 * one fsync makes a whole burst durable. A write joins the open batch; the
 * batch is written after `windowMs` (0: at the next turn of the event loop,
 * which already gathers every packet the loop handled meanwhile) or as soon
 * as it holds `maxBatch` writes. Each caller's promise settles with its batch.
 */

export interface GroupCommitOptions<Op> {
  /** Write all ops in one transaction; throw to fail the whole batch. */
  readonly writeBatch: (ops: readonly Op[]) => void;
  readonly windowMs?: number;
  readonly maxBatch?: number;
  /** Called after a batch fails, before its callers are rejected. */
  readonly onFailure?: (error: unknown) => void;
}

interface Waiter {
  resolve(): void;
  reject(error: unknown): void;
}

export class GroupCommit<Op> {
  private ops: Op[] = [];
  private waiters: Waiter[] = [];
  private timer: NodeJS.Timeout | NodeJS.Immediate | undefined;
  private readonly windowMs: number;
  private readonly maxBatch: number;
  /** Batches written and ops in them, for metrics and tests. */
  batches = 0;
  opsWritten = 0;

  constructor(private readonly options: GroupCommitOptions<Op>) {
    this.windowMs = options.windowMs ?? 0;
    this.maxBatch = options.maxBatch ?? 10_000;
  }

  /** Queue an op; the promise resolves once its batch is durable. */
  submit(op: Op): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.ops.push(op);
      this.waiters.push({ resolve, reject });
      this.schedule();
    });
  }

  /** Queue an op nobody waits for (it still rides the next batch). */
  enqueue(op: Op): void {
    this.ops.push(op);
    this.schedule();
  }

  get pending(): number {
    return this.ops.length;
  }

  /** Write the open batch now, synchronously. */
  flush(): void {
    this.cancelTimer();
    if (this.ops.length === 0) return;
    const ops = this.ops;
    const waiters = this.waiters;
    this.ops = [];
    this.waiters = [];
    try {
      this.options.writeBatch(ops);
    } catch (error) {
      this.options.onFailure?.(error);
      for (const w of waiters) w.reject(error);
      return;
    }
    this.batches++;
    this.opsWritten += ops.length;
    for (const w of waiters) w.resolve();
  }

  private schedule(): void {
    if (this.ops.length >= this.maxBatch) {
      this.flush();
      return;
    }
    if (this.timer !== undefined) return;
    this.timer = this.windowMs > 0
      ? setTimeout(() => { this.timer = undefined; this.flush(); }, this.windowMs)
      : setImmediate(() => { this.timer = undefined; this.flush(); });
  }

  private cancelTimer(): void {
    if (this.timer === undefined) return;
    if (this.windowMs > 0) clearTimeout(this.timer as NodeJS.Timeout);
    else clearImmediate(this.timer as NodeJS.Immediate);
    this.timer = undefined;
  }
}
