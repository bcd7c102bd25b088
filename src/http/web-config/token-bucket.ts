/**
 * A token bucket: `perSecond` tokens flow in up to `capacity`. An amount larger than the whole
 * capacity may still be taken from a full bucket, leaving a debt that the inflow pays back first,
 * so the long-run rate stays bounded whatever the amounts.
 */
export class TokenBucket {
  private tokens: number;
  private at: number;

  constructor(
    private readonly perSecond: number,
    private readonly capacity: number,
    private readonly now: () => number,
  ) {
    this.tokens = capacity;
    this.at = now();
  }

  /** Whether `amount` could be taken now. */
  has(amount: number): boolean {
    this.refill();
    return this.tokens >= Math.min(amount, this.capacity);
  }

  /** Takes `amount` if it can; false (and nothing taken) otherwise. */
  take(amount = 1): boolean {
    if (!this.has(amount)) return false;
    this.tokens -= amount;
    return true;
  }

  /** Whether nothing has been taken for long enough to fill it again. */
  get full(): boolean {
    this.refill();
    return this.tokens >= this.capacity;
  }

  private refill(): void {
    const now = this.now();
    this.tokens = Math.min(this.capacity, this.tokens + ((now - this.at) / 1000) * this.perSecond);
    this.at = now;
  }
}

export interface BudgetLimits {
  /** For all clients together. */
  readonly perSecond: number;
  readonly burst: number;
  /** For one client address, so that one client cannot spend it all. */
  readonly perAddressPerSecond: number;
  readonly perAddressBurst: number;
}

// Addresses remembered at once; beyond, idle ones are forgotten (the overall budget still holds).
const MAX_ADDRESSES = 4096;

/** A budget for something costly (TLS handshakes, password checks) shared by all clients, with a share per client address. */
export class AddressBudget {
  private readonly all: TokenBucket;
  private readonly byAddress = new Map<string, TokenBucket>();

  constructor(
    private readonly limits: BudgetLimits,
    private readonly now: () => number,
  ) {
    this.all = new TokenBucket(limits.perSecond, limits.burst, now);
  }

  /** Takes `amount` for a client if both its share and the whole allow it. */
  take(address: string, amount = 1): boolean {
    const own = this.bucketOf(address);
    if (!own.has(amount) || !this.all.has(amount)) return false;
    own.take(amount);
    this.all.take(amount);
    return true;
  }

  private bucketOf(address: string): TokenBucket {
    let bucket = this.byAddress.get(address);
    if (bucket) return bucket;
    if (this.byAddress.size >= MAX_ADDRESSES) {
      for (const [key, b] of this.byAddress) if (b.full) this.byAddress.delete(key);
      if (this.byAddress.size >= MAX_ADDRESSES) this.byAddress.clear();
    }
    bucket = new TokenBucket(this.limits.perAddressPerSecond, this.limits.perAddressBurst, this.now);
    this.byAddress.set(address, bucket);
    return bucket;
  }
}
