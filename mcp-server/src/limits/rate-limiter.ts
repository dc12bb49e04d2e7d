/**
 * Per-user limits on tool calls: a token bucket per org user (`<orgKey>|<userId>`), shared by every
 * session and server of this process, so opening more sessions does not buy more calls. Refills
 * continuously at `callsPerMinute / 60` per second up to `burst` (default: one minute's worth).
 * A stateless multi-replica deployment limits per replica (the bucket is in memory).
 */
export interface RateLimit {
  callsPerMinute: number;
  /** Calls a user may make at once after being idle; default `callsPerMinute`. */
  burst?: number;
}

export type Admission = { ok: true } | { ok: false; retryAfterSeconds: number };

interface Bucket {
  tokens: number;
  at: number;
}

/** Buckets idle this long are full again and can be forgotten. */
const SWEEP_AFTER_MS = 10 * 60_000;

export class RateLimiter {
  private readonly buckets = new Map<string, Bucket>();
  private readonly capacity: number;
  private readonly perMs: number;
  private lastSweep: number;

  constructor(
    readonly limit: RateLimit,
    private readonly now: () => number = Date.now,
  ) {
    if (!(limit.callsPerMinute > 0)) throw new Error('callsPerMinute must be a positive number');
    this.capacity = Math.max(1, limit.burst ?? limit.callsPerMinute);
    this.perMs = limit.callsPerMinute / 60_000;
    this.lastSweep = now();
  }

  /** Takes one call from the user's bucket, or says how long until one is available. */
  take(key: string): Admission {
    const t = this.now();
    this.sweep(t);
    const b = this.buckets.get(key) ?? { tokens: this.capacity, at: t };
    b.tokens = Math.min(this.capacity, b.tokens + (t - b.at) * this.perMs);
    b.at = t;
    this.buckets.set(key, b);
    if (b.tokens >= 1) {
      b.tokens -= 1;
      return { ok: true };
    }
    return { ok: false, retryAfterSeconds: Math.max(1, Math.ceil((1 - b.tokens) / this.perMs / 1000)) };
  }

  private sweep(t: number): void {
    if (t - this.lastSweep < SWEEP_AFTER_MS) return;
    this.lastSweep = t;
    for (const [key, b] of this.buckets) if (t - b.at > SWEEP_AFTER_MS) this.buckets.delete(key);
  }
}
