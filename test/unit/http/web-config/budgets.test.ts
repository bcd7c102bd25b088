import { describe, expect, it } from "vitest";
import { NetworkBudget, TokenBucket } from "../../../../src/http/web-config/budgets.js";

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

describe("NetworkBudget", () => {
  it("one network gets its share; another still gets its own; all together stay within the whole", () => {
    const c = clock();
    const budget = new NetworkBudget({ perSecond: 2, burst: 3, perNetworkPerSecond: 1, perNetworkBurst: 2, reserve: 0 }, c.now);
    expect([1, 2, 3].map(() => budget.take("10.0.0.1"))).toEqual([true, true, false]);
    expect([1, 2].map(() => budget.take("10.0.0.2"))).toEqual([true, false]);
    expect(budget.take("10.0.0.3")).toBe(false);
    c.advance(1_000);
    expect(budget.take("10.0.0.3")).toBe(true);
  });

  it("forgets idle networks when it has seen too many, and still holds the whole", () => {
    const c = clock();
    const budget = new NetworkBudget({ perSecond: 1e9, burst: 1e9, perNetworkPerSecond: 1, perNetworkBurst: 1, reserve: 0 }, c.now);
    for (let i = 0; i < 10_000; i++) expect(budget.take(`a${i}`)).toBe(true);
    expect(budget.take("a9999")).toBe(false);
  });

  it("keeps its reserve for networks in good standing: one whose last attempt failed takes only what lies above it", () => {
    const c = clock();
    const budget = new NetworkBudget({ perSecond: 1, burst: 4, perNetworkPerSecond: 10, perNetworkBurst: 10, reserve: 2 }, c.now);
    expect(budget.take("attacker")).toBe(true);
    budget.settle("attacker", false);
    expect(budget.inGoodStanding("attacker")).toBe(false);
    expect([1, 2, 3].map(() => budget.take("attacker"))).toEqual([true, false, false]);
    // The reserve is there for a network that has not failed, however many attempts failed before.
    expect(budget.take("prometheus")).toBe(true);
    budget.settle("prometheus", true);
    expect(budget.take("prometheus")).toBe(true);
    expect(budget.take("newcomer")).toBe(false);
  });

  it("a network with attempts in progress takes from above the reserve too", () => {
    const budget = new NetworkBudget({ perSecond: 0, burst: 4, perNetworkPerSecond: 0, perNetworkBurst: 10, reserve: 2 }, () => 0);
    expect([1, 2, 3].map(() => budget.take("flood"))).toEqual([true, true, false]);
    expect(budget.take("quiet")).toBe(true);
  });
});
