/**
 * Group commit: writes that arrive close together share one transaction, so
 * one fsync makes a whole burst durable. A write joins the open batch; the
 * batch is written after `windowMs` (0: at the next turn of the event loop)
 * or as soon as it holds `maxBatch` writes. While a batch is being written
 * (possibly in another thread), new writes gather into the next one, which
 * starts the moment the previous one finishes: the batch size adapts to the
 * disk's fsync time by itself. Each caller's promise settles with its batch.
 */

export interface GroupCommitOptions<Op> {
  /** Write all ops in one transaction; throw (or reject) to fail the whole batch. */
  readonly writeBatch: (ops: readonly Op[]) => void | Promise<void>;
  readonly windowMs?: number;
  readonly maxBatch?: number;
  /** Called after a batch fails, before its callers are rejected. */
  readonly onFailure?: (error: unknown, ops: readonly Op[]) => void;
  /** Called after a batch is durable, before its callers are resolved. */
  readonly onSuccess?: (ops: readonly Op[]) => void;
}

interface Waiter {
  resolve(): void;
  reject(error: unknown): void;
}

interface Entry<Op> {
  readonly op: Op;
  readonly waiter: Waiter | undefined;
}

export class GroupCommit<Op> {
  private entries: Entry<Op>[] = [];
  private timer: NodeJS.Timeout | NodeJS.Immediate | undefined;
  private writing: Promise<void> | undefined;
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
      this.entries.push({ op, waiter: { resolve, reject } });
      this.schedule();
    });
  }

  /** Queue an op nobody waits for (it still rides the next batch). */
  enqueue(op: Op): void {
    this.entries.push({ op, waiter: undefined });
    this.schedule();
  }

  get pending(): number {
    return this.entries.length;
  }

  /** Ops queued but not yet handed to a batch. */
  get queued(): readonly Op[] {
    return this.entries.map((e) => e.op);
  }

  get busy(): boolean {
    return this.writing !== undefined;
  }

  /** Write everything queued now; resolves when all of it (and any batch in flight) is done. */
  async flush(): Promise<void> {
    this.cancelTimer();
    while (this.writing !== undefined || this.entries.length > 0) {
      if (this.writing === undefined) this.run();
      await this.writing;
    }
  }

  private schedule(): void {
    if (this.writing !== undefined) return; // the running batch starts the next one when it ends
    if (this.entries.length >= this.maxBatch) {
      this.cancelTimer();
      this.run();
      return;
    }
    if (this.timer !== undefined) return;
    this.timer = this.windowMs > 0
      ? setTimeout(() => { this.timer = undefined; this.run(); }, this.windowMs)
      : setImmediate(() => { this.timer = undefined; this.run(); });
  }

  /** Start one batch with everything queued (synchronously up to the write itself). */
  private run(): void {
    if (this.writing !== undefined || this.entries.length === 0) return;
    const batch = this.entries.splice(0, this.maxBatch);
    const ops = batch.map((e) => e.op);
    const waiters = batch.flatMap((e) => (e.waiter === undefined ? [] : [e.waiter]));
    this.writing = this.write(ops, waiters).finally(() => {
      this.writing = undefined;
      if (this.entries.length > 0) this.run();
    });
  }

  private async write(ops: Op[], waiters: Waiter[]): Promise<void> {
    try {
      await this.options.writeBatch(ops);
    } catch (error) {
      this.options.onFailure?.(error, ops);
      for (const w of waiters) w.reject(error);
      return;
    }
    this.batches++;
    this.opsWritten += ops.length;
    this.options.onSuccess?.(ops);
    for (const w of waiters) w.resolve();
  }

  private cancelTimer(): void {
    if (this.timer === undefined) return;
    if (this.windowMs > 0) clearTimeout(this.timer as NodeJS.Timeout);
    else clearImmediate(this.timer as NodeJS.Immediate);
    this.timer = undefined;
  }
}
