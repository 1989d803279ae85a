/**
 * Per-MAC token bucket: one misbehaving (or spoofed) client cannot take the
 * server's time from the others. PXE firmware retransmits at 4, 8, 16 s
 * (PXE 2.1) and the FreeBSD loader a few times per second, so a burst of a
 * handful of packets and a refill of a few per second never drops a real
 * client. The table is bounded: when full, the stalest entries go first.
 */
export interface RateLimitOptions {
  /** Packets a MAC may send at once. */
  readonly burst: number;
  /** Tokens added per second. */
  readonly perSecond: number;
  /** MACs tracked at most (memory bound under a MAC-spoofing flood). */
  readonly maxTracked: number;
}

export const DEFAULT_RATE_LIMIT: RateLimitOptions = { burst: 20, perSecond: 10, maxTracked: 65_536 };

/** How stale a MAC's place in the eviction order may get before it moves to the back. */
const REORDER_AFTER_MS = 1000;

interface Bucket {
  tokens: number;
  lastMs: number;
}

export class RateLimiter {
  private readonly buckets = new Map<string, Bucket>();
  constructor(private readonly options: RateLimitOptions = DEFAULT_RATE_LIMIT) {}

  /** May this MAC send a packet at `nowMs`? Takes a token when it may. */
  allow(mac: string, nowMs: number): boolean {
    let b = this.buckets.get(mac);
    if (b === undefined) {
      if (this.buckets.size >= this.options.maxTracked) this.evict();
      b = { tokens: this.options.burst, lastMs: nowMs };
      this.buckets.set(mac, b);
    } else {
      const elapsedMs = Math.max(0, nowMs - b.lastMs);
      if (elapsedMs >= REORDER_AFTER_MS) {
        // Move it to the end: Map order is least recently seen first, to within REORDER_AFTER_MS
        // (a MAC seen again sooner keeps its place; a delete and insert per packet cost more than the rest).
        this.buckets.delete(mac);
        this.buckets.set(mac, b);
      }
      b.tokens = Math.min(this.options.burst, b.tokens + (elapsedMs * this.options.perSecond) / 1000);
      b.lastMs = nowMs;
    }
    if (b.tokens < 1) return false;
    b.tokens -= 1;
    return true;
  }

  get tracked(): number {
    return this.buckets.size;
  }

  private evict(): void {
    // Drop the least recently seen eighth at once, so a flood does not pay an eviction per packet.
    const n = Math.max(1, this.options.maxTracked >> 3);
    let i = 0;
    for (const key of this.buckets.keys()) {
      if (i++ >= n) break;
      this.buckets.delete(key);
    }
  }
}

/**
 * Says yes once per key per interval: unknown MACs are logged once per
 * interval, not once per retransmission. Bounded like the rate limiter.
 */
export class OncePerInterval {
  private readonly last = new Map<string, number>();
  constructor(private readonly intervalMs: number, private readonly maxTracked = 65_536) {}

  shouldReport(key: string, nowMs: number): boolean {
    const prev = this.last.get(key);
    if (prev !== undefined && nowMs - prev < this.intervalMs) return false;
    this.last.delete(key);
    if (this.last.size >= this.maxTracked) {
      const oldest = this.last.keys().next();
      if (oldest.done !== true) this.last.delete(oldest.value);
    }
    this.last.set(key, nowMs);
    return true;
  }
}
