import { bcryptCost } from "./bcrypt-hash.js";
import type { CredentialCache } from "./credential-cache.js";
import type { PasswordChecker } from "./password-checker.js";
import type { AddressBudget, BudgetLimits } from "./token-bucket.js";

/**
 * Uncached password checks, in checks at bcrypt cost 10 (about 90 ms of one core in pure
 * JavaScript; a cost-11 hash counts twice, cost 12 four times): 2 a second in bursts of 4 for
 * all clients, half of that for one client address. So guessing passwords costs the supervisor at
 * most about a fifth of one core, off the main thread.
 */
export const PASSWORD_CHECKS: BudgetLimits = { perSecond: 2, burst: 4, perAddressPerSecond: 1, perAddressBurst: 2 };

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
 * from the cache; any other attempt costs a check from the budget, made off the main thread. An
 * unknown user is checked against a configured user's hash all the same, so that timing does not
 * tell which users exist.
 */
export class BasicAuth {
  private readonly pending = new Map<string, Promise<boolean>>();
  private readonly decoy: string;

  constructor(
    private readonly users: ReadonlyMap<string, string>,
    private readonly cache: CredentialCache,
    private readonly budget: AddressBudget,
    private readonly checker: PasswordChecker,
  ) {
    this.decoy = users.values().next().value ?? "";
  }

  /** Whether the request's credentials let it in. */
  async verify(authorization: string | undefined, address: string): Promise<AuthResult> {
    const credentials = basicCredentials(authorization);
    if (!credentials) return "denied";
    const stored = this.users.get(credentials.user);
    const hash = stored ?? this.decoy;
    const key = this.cache.keyOf(credentials.user, hash, credentials.password);
    if (stored !== undefined && this.cache.has(key)) return "ok";

    let check = this.pending.get(key);
    if (!check) {
      const weight = 2 ** ((bcryptCost(hash) ?? 10) - 10);
      if (!this.checker.hasRoom || !this.budget.take(address, weight)) return "busy";
      check = this.checker.check(credentials.password, hash);
      if (!check) return "busy";
      this.pending.set(key, check);
      const forget = () => this.pending.delete(key);
      check.then(forget, forget);
    }
    let ok: boolean;
    try {
      ok = await check;
    } catch {
      return "unavailable";
    }
    if (!ok || stored === undefined) return "denied";
    this.cache.add(key);
    return "ok";
  }
}
