/**
 * Group commit: writes that arrive close together share one transaction, so
 * one fsync makes a whole burst durable. A write joins the open batch; the
 * batch is written `windowMs` after its oldest urgent write arrived (0: at
 * the next turn of the event loop) or as soon as it holds `maxBatch` writes.
 * While a batch is being written (possibly in another thread), new writes
 * gather into the next one, which starts when the previous one finishes or
 * when its own window ends, whichever is later: under load the batch size
 * follows the disk's fsync time, and at low rates the window still gathers
 * several writes per fsync instead of one. No write waits longer than
 * windowMs plus the batch in flight. Each caller's promise settles with its batch.
 *
 * Writes marked not urgent (nobody is held up by them: boot events, an
 * OFFER's hold) do not start a batch of their own before `lazyMs`; they
 * ride the next urgent batch, which under load comes first. That halves the
 * transactions (and fsyncs) per DHCP exchange without delaying any ACK.
 */

export interface GroupCommitOptions<Op> {
  /** Write all ops in one transaction; throw (or reject) to fail the whole batch. */
  readonly writeBatch: (ops: readonly Op[]) => void | Promise<void>;
  /** How long an urgent write may wait for company, from its arrival (default 0: the next event-loop turn). */
  readonly windowMs?: number;
  readonly maxBatch?: number;
  /** How long a batch of only non-urgent writes may wait for an urgent one (default: windowMs). */
  readonly lazyMs?: number;
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
  readonly urgent: boolean;
}

export class GroupCommit<Op> {
  private entries: Entry<Op>[] = [];
  private timer: NodeJS.Timeout | NodeJS.Immediate | undefined;
  /** Is the pending timer the lazy one (only non-urgent writes queued)? */
  private timerLazy = false;
  /** Urgent entries queued and not yet handed to a batch. */
  private urgentQueued = 0;
  /** When the oldest queued urgent entry arrived (performance.now()), while urgentQueued > 0. */
  private firstUrgentAt = 0;
  private readonly lazyMs: number;
  private writing: Promise<void> | undefined;
  private readonly windowMs: number;
  private readonly maxBatch: number;
  /** Batches written and ops in them, for metrics and tests. */
  batches = 0;
  opsWritten = 0;

  constructor(private readonly options: GroupCommitOptions<Op>) {
    this.windowMs = options.windowMs ?? 0;
    this.maxBatch = options.maxBatch ?? 10_000;
    this.lazyMs = options.lazyMs ?? this.windowMs;
  }

  /** Queue an op; the promise resolves once its batch is durable. Not urgent: it may wait up to lazyMs for company. */
  submit(op: Op, urgent = true): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.entries.push({ op, waiter: { resolve, reject }, urgent });
      if (urgent && this.urgentQueued++ === 0) this.firstUrgentAt = performance.now();
      this.schedule();
    });
  }

  /** Queue an op nobody waits for (not urgent: it rides the next batch, at the latest after lazyMs). */
  enqueue(op: Op): void {
    this.entries.push({ op, waiter: undefined, urgent: false });
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
    const lazy = this.urgentQueued === 0;
    if (this.timer !== undefined) {
      if (lazy || !this.timerLazy) return;
      this.cancelTimer(); // an urgent write does not wait for the lazy timer
    }
    const ms = lazy ? this.lazyMs : this.urgentDelay();
    this.timerLazy = lazy;
    this.timer = ms > 0
      ? setTimeout(() => { this.timer = undefined; this.run(); }, ms)
      : setImmediate(() => { this.timer = undefined; this.run(); });
  }

  /** Start one batch with everything queued (synchronously up to the write itself). */
  private run(): void {
    if (this.writing !== undefined || this.entries.length === 0) return;
    this.cancelTimer();
    const batch = this.entries.splice(0, this.maxBatch);
    // Writes left over from a full batch have waited a whole batch already: they go next, without a window.
    const overflow = this.entries.length > 0;
    const ops: Op[] = [];
    const waiters: Waiter[] = [];
    for (const e of batch) {
      ops.push(e.op);
      if (e.waiter !== undefined) waiters.push(e.waiter);
      if (e.urgent) this.urgentQueued--;
    }
    this.writing = this.write(ops, waiters).finally(() => {
      this.writing = undefined;
      if (this.entries.length >= this.maxBatch || (this.urgentQueued > 0 && (overflow || this.urgentDelay() === 0))) this.run();
      else if (this.entries.length > 0) this.schedule();
    });
  }

  /** What is left of the window of the oldest queued urgent write (0: due now). */
  private urgentDelay(): number {
    if (this.windowMs <= 0) return 0;
    const left = this.firstUrgentAt + this.windowMs - performance.now();
    return left > 0 ? Math.ceil(left) : 0;
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
    // Both kinds are cleared by what created them; a Timeout has refresh(), an Immediate not.
    if ("refresh" in this.timer) clearTimeout(this.timer);
    else clearImmediate(this.timer);
    this.timer = undefined;
  }
}
