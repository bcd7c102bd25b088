import { createHmac, randomBytes } from "node:crypto";

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
    return createHmac("sha256", this.secret).update(JSON.stringify([user, hash, password])).digest("base64");
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
