import { Counter } from "../metrics/prom-client.js";
import type { OptionValues } from "../config/config.js";
import { LazyGauge } from "../metrics/absent-gauges.js";
import { OTHER } from "../common/names.js";
import { nameOf, type Collector, type Registers } from "./collector.js";

const RESULTS = ["hit", "miss"] as const;

/** Cache look-ups that workflow steps report: counters by type and result, and a hit-rate gauge kept for dashboards that read it. */
export function cacheCollector(o: Pick<OptionValues, "cacheTypes">, registers: Registers): Collector {
  const requests = new Counter({
    name: "github_runner_cache_requests_total",
    help: "Cache look-ups reported by workflow steps (runner-supervisor report cache), by cache type and result.",
    labelNames: ["cache_type", "result"] as const,
    registers,
  });
  const hitRate = new LazyGauge(
    "github_runner_cache_hit_rate",
    "Share of reported cache look-ups that hit since the supervisor started, by cache type (from github_runner_cache_requests_total; absent before the first report).",
    ["cache_type"],
    registers,
  );
  const allowed = new Set(o.cacheTypes);
  // Running totals per type, for the rate gauge (prom-client does not read counters back cheaply).
  const totals = new Map<string, { hits: number; misses: number }>();
  for (const cacheType of [...o.cacheTypes, OTHER]) for (const result of RESULTS) requests.inc({ cache_type: cacheType, result }, 0);

  return {
    names: [requests, hitRate].map(nameOf),
    observe: (change) => {
      if (change.type !== "cache-report") return;
      // A type outside the configured list counts as other: steps cannot create series.
      const type = allowed.has(change.cacheType) ? change.cacheType : OTHER;
      if (change.hits > 0) requests.inc({ cache_type: type, result: "hit" }, change.hits);
      if (change.misses > 0) requests.inc({ cache_type: type, result: "miss" }, change.misses);
      const t = totals.get(type) ?? { hits: 0, misses: 0 };
      t.hits += change.hits;
      t.misses += change.misses;
      totals.set(type, t);
      hitRate.set({ cache_type: type }, t.hits / (t.hits + t.misses));
    },
  };
}
