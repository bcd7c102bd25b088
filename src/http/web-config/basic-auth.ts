import { createHmac, randomBytes } from "node:crypto";
import { bcryptCost } from "./names.js";
import type { Checked, PasswordChecker } from "./password-checker.js";
import type { ConnectionFacts } from "../guard.js";
import type { NetworkBudget, BudgetLimits } from "./budgets.js";

/**
 * Uncached password checks, in checks at bcrypt cost 10 (about 90 ms of one core in pure
 * JavaScript; a cost-11 hash counts twice, cost 12 four times): 2 a second in bursts of 4 for
 * all clients, 1 a second for one client network, and 2 of the 4 kept for networks whose last
 * check passed or that have not tried yet. So guessing passwords costs the supervisor at most
 * about a fifth of one core, off the main thread, and a flood of wrong passwords from any number
 * of networks leaves Prometheus its check.
 */
export const PASSWORD_CHECKS: BudgetLimits = { perSecond: 2, burst: 4, perNetworkPerSecond: 1, perNetworkBurst: 2, reserve: 2 };

/** A refusal after a check takes this many times the typical check at the file's highest cost (room for the machine's noise). */
const REFUSAL_FLOOR = 1.25;
/** Check durations kept to estimate that typical check. */
const TIMINGS_KEPT = 9;

/** ok: let in; denied: 401; busy: 429 (no check was made); unavailable: the checker failed. */
export type AuthResult = "ok" | "denied" | "busy" | "unavailable";

/** User and password from an Authorization header, as Go's Request.BasicAuth reads them; undefined when there are none. */
export function basicCredentials(header: string | undefined): { user: string; password: string } | undefined {
  if (!header || header.length < 6 || header.slice(0, 6).toLowerCase() !== "basic ") return undefined;
  const encoded = header.slice(6);
  if (encoded.length % 4 !== 0 || !/^[A-Za-z0-9+/]*={0,2}$/.test(encoded)) return undefined;
  const decoded = Buffer.from(encoded, "base64").toString("utf8");
  const colon = decoded.indexOf(":");
  if (colon === -1) return undefined;
  return { user: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

/**
 * Basic auth against basic_auth_users' bcrypt hashes. Credentials that passed once are let in
 * from the cache; any other attempt costs a check from the budget, made off the main thread.
 * Timing tells nothing of who exists: an unknown user is checked against the file's most costly
 * hash, every check is charged as one at that cost, and every refusal after a check is held until
 * REFUSAL_FLOOR times the typical check at that cost has passed on the checker's thread, so users
 * of any cost and unknown users are refused after the same time.
 */
export class BasicAuth {
  private readonly pending = new Map<string, Promise<Checked>>();
  private readonly decoy: string;
  private readonly maxCost: number;
  /** Recent check durations, scaled to the highest cost. */
  private readonly timings: number[] = [];

  constructor(
    private readonly users: ReadonlyMap<string, string>,
    private readonly cache: CredentialCache,
    private readonly budget: NetworkBudget,
    private readonly checker: PasswordChecker,
  ) {
    let decoy = "";
    let maxCost = 0;
    for (const hash of users.values()) {
      const cost = bcryptCost(hash) ?? 0;
      if (cost > maxCost) [decoy, maxCost] = [hash, cost];
    }
    this.decoy = decoy;
    this.maxCost = maxCost;
  }

  /** Whether the request's credentials let it in; a client let in has proven who it is. */
  async verify(authorization: string | undefined, connection: Pick<ConnectionFacts, "network">): Promise<AuthResult> {
    const credentials = basicCredentials(authorization);
    if (!credentials) return "denied";
    const stored = this.users.get(credentials.user);
    const hash = stored ?? this.decoy;
    const key = this.cache.keyOf(credentials.user, hash, credentials.password);
    if (stored !== undefined && this.cache.has(key)) return "ok";

    let check = this.pending.get(key);
    if (!check) {
      const weight = 2 ** (this.maxCost - 10);
      if (!this.budget.take(connection.network, weight)) return "busy";
      const network = connection.network;
      // A network in good standing is one the reserve was kept for: its check goes first.
      check = this.checker.check(credentials.password, hash, this.budget.inGoodStanding(network));
      if (!check) {
        this.budget.settle(network, undefined);
        return "busy";
      }
      this.pending.set(key, check);
      const forget = () => this.pending.delete(key);
      check.then((c) => {
        forget();
        this.budget.settle(network, c.ok && stored !== undefined);
        this.timed(hash, c.ms);
      }, forget);
    }
    let checked: Checked;
    try {
      checked = await check;
    } catch {
      return "unavailable";
    }
    if (checked.ok && stored !== undefined) {
      this.cache.add(key);
      return "ok";
    }
    const wait = this.floorMs() - checked.ms;
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    return "denied";
  }

  private timed(hash: string, ms: number): void {
    this.timings.push(ms * 2 ** (this.maxCost - (bcryptCost(hash) ?? this.maxCost)));
    if (this.timings.length > TIMINGS_KEPT) this.timings.shift();
  }

  /** How long a refusal takes, from the start of its check. */
  private floorMs(): number {
    const sorted = [...this.timings].sort((a, b) => a - b);
    return REFUSAL_FLOOR * (sorted[sorted.length >> 1] ?? 0);
  }
}

/**
 * Credentials that passed a bcrypt check, so a scraper's every scrape is not one more check. It
 * holds keyed hashes of user, stored hash and password (HMAC with a key made at start), never a
 * password; at most `max` of them, the least recently used going first.
 */
export class CredentialCache {
  private readonly secret = randomBytes(32);
  private readonly entries = new Set<string>();

  constructor(private readonly max = 64) {}

  /** The cache key of a user's password checked against a stored hash. */
  keyOf(user: string, hash: string, password: string): string {
    return createHmac("sha256", this.secret)
      .update(JSON.stringify([user, hash, password]))
      .digest("base64");
  }

  has(key: string): boolean {
    if (!this.entries.has(key)) return false;
    this.entries.delete(key);
    this.entries.add(key);
    return true;
  }

  add(key: string): void {
    this.entries.delete(key);
    this.entries.add(key);
    if (this.entries.size > this.max) this.entries.delete(this.entries.values().next().value!);
  }
}
