import { describe, expect, it } from "vitest";
import { cacheCollector } from "../../../src/collectors/cache.js";
import { harness } from "./observe.js";

describe("the cache collector", () => {
  it("starts the configured types and other at 0, with no hit rate before the first report", async () => {
    const m = await harness((r) => cacheCollector({ cacheTypes: ["npm", "apt"] }, r.both)).after();
    for (const type of ["npm", "apt", "other"])
      for (const result of ["hit", "miss"]) expect(m.value("github_runner_cache_requests_total", { cache_type: type, result })).toBe(0);
    expect(m.has("github_runner_cache_hit_rate")).toBe(false);
  });

  it("counts reports and derives the hit rate from them; an unknown type counts as other", async () => {
    const m = await harness((r) => cacheCollector({ cacheTypes: ["npm"] }, r.both)).after(
      { type: "cache-report", cacheType: "npm", hits: 3, misses: 1 },
      { type: "cache-report", cacheType: "npm", hits: 0, misses: 4 },
      { type: "cache-report", cacheType: "bazel", hits: 1, misses: 0 },
    );
    expect(m.value("github_runner_cache_requests_total", { cache_type: "npm", result: "hit" })).toBe(3);
    expect(m.value("github_runner_cache_requests_total", { cache_type: "npm", result: "miss" })).toBe(5);
    expect(m.value("github_runner_cache_hit_rate", { cache_type: "npm" })).toBe(3 / 8);
    expect(m.value("github_runner_cache_requests_total", { cache_type: "other", result: "hit" })).toBe(1);
    expect(m.value("github_runner_cache_hit_rate", { cache_type: "bazel" })).toBeUndefined();
  });
});
