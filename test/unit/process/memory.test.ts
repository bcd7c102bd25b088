import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { keepMemoryDown } from "../../../src/process/memory.js";

beforeEach(() => vi.useFakeTimers());
afterEach(() => vi.useRealTimers());

/**
 * A keeper over a simulated process: its own memory (KiB) as a function of time, less what
 * each collection gives back (`freedByCollection`, one entry per collection in turn).
 */
function keeper(memoryAt: (second: number) => number, freedByCollection: number[] = []) {
  let trims = 0;
  let collections = 0;
  let freed = 0;
  let second = 0;
  const stop = keepMemoryDown({
    trim: () => trims++,
    ownMemoryKiB: () => memoryAt(++second) - freed,
    collect: () => (freed += freedByCollection[collections++] ?? 0),
    now: () => Date.now(),
  });
  return { stop, trims: () => trims, collections: () => collections };
}

describe("keeping the supervisor's own memory down", () => {
  it("hands freed pages back every second, and collects garbage once memory grew 4 MiB over its low", () => {
    const k = keeper((s) => (s < 3 ? 12_000 : 17_000), [4_000, 200]);
    vi.advanceTimersByTime(3_000);
    expect(k.trims()).toBe(3);
    expect(k.collections()).toBe(1);
    vi.advanceTimersByTime(30_000);
    // The first gave 4 MiB back, so one more (5 s later); that one gave little: no third.
    expect(k.collections()).toBe(2);
  });

  it("collects at most every 5 s however fast memory grows, and stops when told", () => {
    const k = keeper(
      (s) => 10_000 + s * 5_000,
      Array.from({ length: 20 }, () => 2_000),
    );
    vi.advanceTimersByTime(30_000);
    expect(k.collections()).toBeGreaterThanOrEqual(5);
    expect(k.collections()).toBeLessThanOrEqual(6);
    const before = k.collections();
    k.stop();
    vi.advanceTimersByTime(30_000);
    expect(k.collections()).toBe(before);
  });

  it("collects once a burst is over: memory grew a little, then stayed still for 3 s", () => {
    // 12 MiB, then up to 14 MiB over a few seconds (below the 4 MiB that triggers a collection), then still.
    const k = keeper((s) => (s < 3 ? 12_000 : s < 6 ? 12_000 + (s - 2) * 500 : 14_000), [1_500, 100]);
    vi.advanceTimersByTime(8_000);
    expect(k.collections()).toBe(0);
    vi.advanceTimersByTime(2_000);
    expect(k.collections()).toBe(1);
    vi.advanceTimersByTime(30_000);
    expect(k.collections()).toBe(2);
  });

  it("never collects while memory stays flat", () => {
    const k = keeper((s) => 12_000 + (s % 3) * 500);
    vi.advanceTimersByTime(60_000);
    expect(k.collections()).toBe(0);
  });
});
