/**
 * The one retransmission timer of a read transfer. Re-arming a Node timer per
 * block is costly (`refresh()` re-inserts it in the timer list), so this keeps
 * a deadline instead: arming only moves the deadline, and a timer that fires
 * early sleeps on to it.
 */
export class DeadlineTimer {
  private timer: NodeJS.Timeout | undefined;
  private deadlineMs = 0;
  /** When the scheduled setTimeout fires (same clock as `now`). */
  private fireAtMs = 0;

  /** `onFire` runs when the timer fires; it calls `dueOrSleep()` to tell a real expiry from an early wake-up. */
  constructor(
    private readonly now: () => number,
    private readonly onFire: () => void,
  ) {}

  /** The deadline becomes `delayMs` from now. */
  arm(delayMs: number): void {
    const t = this.now();
    this.deadlineMs = t + delayMs;
    // A timer that fires no later than the new deadline can stay.
    if (this.timer !== undefined && this.fireAtMs <= this.deadlineMs) return;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.schedule(t, delayMs);
  }

  /** Moves the deadline to `atMs` (the `now` clock) without touching the scheduled wake-up. */
  setDeadline(atMs: number): void {
    this.deadlineMs = atMs;
  }

  /** From `onFire`: true if the deadline has passed; else sleeps on to it and returns false. */
  dueOrSleep(): boolean {
    const t = this.now();
    // Timers have millisecond resolution: within 1 ms of the deadline counts as due.
    if (this.deadlineMs - t < 1) return true;
    this.schedule(t, this.deadlineMs - t);
    return false;
  }

  clear(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
  }

  private schedule(t: number, delayMs: number): void {
    this.fireAtMs = t + delayMs;
    this.timer = setTimeout(this.fire, delayMs);
  }

  private readonly fire = (): void => {
    this.timer = undefined;
    this.onFire();
  };
}
