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
  /** For one client network (/24, /56), so that one client cannot spend it all. */
  readonly perNetworkPerSecond: number;
  readonly perNetworkBurst: number;
  /** Of the whole, what only networks in good standing may take: a flood from networks that fail cannot spend it. */
  readonly reserve: number;
}

// Networks remembered at once; beyond, idle ones are forgotten (the overall budget still holds).
const MAX_NETWORKS = 4096;
/** Attempts a network may have in progress and still be in good standing. */
const MAX_PENDING_IN_GOOD_STANDING = 2;
/** Refusals a network may collect and still be in good standing, and how fast that is forgiven: a scraper asks once a scrape, a flood thousands of times. */
const PATIENCE = { refusals: 3, forgivenPerSecond: 0.1 };

interface Standing {
  readonly bucket: TokenBucket;
  /** Refusals it may still collect in good standing. */
  readonly patience: TokenBucket;
  /** Attempts taken and not yet settled. */
  pending: number;
  /** How its last settled attempt ended. */
  last: "none" | "ok" | "failed";
}

/**
 * A budget for something costly (TLS handshakes, password checks) shared by all clients, with a
 * share per client network. A network whose last attempt failed (a wrong password, a handshake
 * left unfinished), that has several in progress, or that keeps asking while refused, takes only
 * from what lies above the reserve;
 * the reserve is kept for networks in good standing, so a flood from any number of failing
 * networks leaves room for a client that has not failed.
 */
export class NetworkBudget {
  private readonly all: TokenBucket;
  private readonly networks = new Map<string, Standing>();

  constructor(
    private readonly limits: BudgetLimits,
    private readonly now: () => number,
  ) {
    this.all = new TokenBucket(limits.perSecond, limits.burst, now);
  }

  /** Whether a network's last attempt did not fail and it has few in progress: the reserve is kept for it. */
  inGoodStanding(network: string): boolean {
    const standing = this.networks.get(network);
    return !standing || (standing.last !== "failed" && standing.pending < MAX_PENDING_IN_GOOD_STANDING && standing.patience.has(1));
  }

  /** Takes `amount` for a client network if its share and the whole allow it; every take is settled later. */
  take(network: string, amount = 1): boolean {
    const good = this.inGoodStanding(network);
    const standing = this.standingOf(network);
    if (!standing.bucket.has(amount) || !this.all.has(amount + (good ? 0 : this.limits.reserve))) {
      standing.patience.take(1);
      return false;
    }
    standing.bucket.take(amount);
    this.all.take(amount);
    standing.pending++;
    return true;
  }

  /** How an attempt that was taken ended; undefined: it was never made (what it took is not given back). */
  settle(network: string, ok: boolean | undefined): void {
    const standing = this.networks.get(network);
    if (!standing) return;
    standing.pending = Math.max(0, standing.pending - 1);
    if (ok !== undefined) standing.last = ok ? "ok" : "failed";
  }

  private standingOf(network: string): Standing {
    let standing = this.networks.get(network);
    if (standing) return standing;
    if (this.networks.size >= MAX_NETWORKS) {
      for (const [key, s] of this.networks)
        if (s.pending === 0 && s.last !== "failed" && s.bucket.full && s.patience.full) this.networks.delete(key);
      if (this.networks.size >= MAX_NETWORKS) this.networks.clear();
    }
    standing = {
      bucket: new TokenBucket(this.limits.perNetworkPerSecond, this.limits.perNetworkBurst, this.now),
      patience: new TokenBucket(PATIENCE.forgivenPerSecond, PATIENCE.refusals, this.now),
      pending: 0,
      last: "none",
    };
    this.networks.set(network, standing);
    return standing;
  }
}
