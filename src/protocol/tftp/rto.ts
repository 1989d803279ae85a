/**
 * Retransmission timeout from measured round trips, after RFC 6298 section 2
 * (SRTT/RTTVAR), with Karn's rule: samples only from sends that were not
 * retransmitted. On a LAN this lets a lost block be resent after a few
 * milliseconds instead of the classic fixed second, which is what keeps a
 * lossy transfer fast.
 */
const DOUBLINGS_BEFORE_MAX = 3;

export interface RtoConfig {
  readonly initialRtoMs: number;
  readonly minRtoMs: number;
  readonly maxRtoMs: number;
}

export class RtoEstimator {
  private srttMs: number | undefined;
  private rttvarMs = 0;
  private backoff = 1;
  private doublings = 0;
  private baseMs: number;

  constructor(private readonly cfg: RtoConfig) {
    this.baseMs = clamp(cfg.initialRtoMs, cfg.minRtoMs, cfg.maxRtoMs);
  }

  sample(rttMs: number): void {
    const r = Math.max(0, rttMs);
    if (this.srttMs === undefined) {
      this.srttMs = r;
      this.rttvarMs = r / 2;
    } else {
      this.rttvarMs = 0.75 * this.rttvarMs + 0.25 * Math.abs(this.srttMs - r);
      this.srttMs = 0.875 * this.srttMs + 0.125 * r;
    }
    this.baseMs = clamp(this.srttMs + 4 * this.rttvarMs, this.cfg.minRtoMs, this.cfg.maxRtoMs);
  }

  /** Progress was made: drop the exponential backoff. */
  resetBackoff(): void {
    this.backoff = 1;
    this.doublings = 0;
  }

  /**
   * A timeout fired: double the next timeout (RFC 6298 section 5.5), and after
   * DOUBLINGS_BEFORE_MAX unanswered doublings go straight to the maximum. A
   * peer that is still silent then is usually waiting for its own timer
   * (atftp re-ACKs a repeated block once, then waits 5 s, restarting the wait on
   * every packet it ignores), so only a long quiet gap lets it speak.
   */
  backOff(): void {
    this.doublings++;
    if (this.doublings > DOUBLINGS_BEFORE_MAX) this.backoff = Math.ceil(this.cfg.maxRtoMs / this.baseMs);
    else if (this.baseMs * this.backoff < this.cfg.maxRtoMs) this.backoff *= 2;
  }

  get rtoMs(): number {
    return Math.min(this.baseMs * this.backoff, this.cfg.maxRtoMs);
  }
}

function clamp(v: number, lo: number, hi: number): number {
  return Math.min(Math.max(v, lo), hi);
}
