import { describe, expect, it } from "vitest";
import { AddressBudget, TokenBucket } from "../../../../src/http/web-config/token-bucket.js";

/** A clock the test moves by hand. */
function clock() {
  let ms = 0;
  return { now: () => ms, advance: (by: number) => void (ms += by) };
}

describe("TokenBucket", () => {
  it("gives its burst at once, then its rate", () => {
    const c = clock();
    const bucket = new TokenBucket(2, 4, c.now);
    expect([1, 2, 3, 4, 5].map(() => bucket.take())).toEqual([true, true, true, true, false]);
    c.advance(500);
    expect([bucket.take(), bucket.take()]).toEqual([true, false]);
    c.advance(10_000);
    expect(bucket.full).toBe(true);
    expect([1, 2, 3, 4, 5].map(() => bucket.take())).toEqual([true, true, true, true, false]);
  });

  it("takes an amount larger than its capacity only when full, and the debt is paid back before anything else", () => {
    const c = clock();
    const bucket = new TokenBucket(2, 4, c.now);
    expect(bucket.take(16)).toBe(true);
    c.advance(5_000); // +10: still 2 short
    expect(bucket.take()).toBe(false);
    c.advance(1_500); // +3
    expect(bucket.take()).toBe(true);
    expect(bucket.take(16)).toBe(false);
  });
});

describe("AddressBudget", () => {
  it("one address gets its share; another address still gets its own; all together stay within the whole", () => {
    const c = clock();
    const budget = new AddressBudget({ perSecond: 2, burst: 3, perAddressPerSecond: 1, perAddressBurst: 2 }, c.now);
    expect([1, 2, 3].map(() => budget.take("10.0.0.1"))).toEqual([true, true, false]);
    expect([1, 2].map(() => budget.take("10.0.0.2"))).toEqual([true, false]);
    expect(budget.take("10.0.0.3")).toBe(false);
    c.advance(1_000);
    expect(budget.take("10.0.0.3")).toBe(true);
  });

  it("forgets idle addresses when it has seen too many, and still holds the whole", () => {
    const c = clock();
    const budget = new AddressBudget({ perSecond: 1e9, burst: 1e9, perAddressPerSecond: 1, perAddressBurst: 1 }, c.now);
    for (let i = 0; i < 10_000; i++) expect(budget.take(`a${i}`)).toBe(true);
    expect(budget.take("a9999")).toBe(false);
  });
});
