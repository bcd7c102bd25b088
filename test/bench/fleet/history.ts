// The fleet's scrapes, window by window in time order: every runner scraped every `step` seconds
// (each at its own offset, as Prometheus spreads its targets), each series valued from the
// runner's state, a staleness marker when a series disappears (as Prometheus writes one), and
// the recording rules' output for the window's minutes.
import { metricsRead, recordWindow, type RecentSeries, type Rule } from "./recording.js";
import { STALE_NAN, type Series } from "./remote-write.js";
import { RunnerState, slotsFor, type Shape, type Slot } from "./runner-state.js";
import type { RunnerPlan } from "./workload.js";

interface Runner {
  readonly plan: RunnerPlan;
  readonly state: RunnerState;
  readonly slots: Slot[];
  /** Recent samples of the series the rules read (undefined for the others). */
  readonly recent: (RecentSeries | undefined)[];
  readonly present: boolean[];
  readonly offset: number;
}

/** What the rules look back over: two minutes of offset and a five-minute lookback. */
const KEEP_SECONDS = 480;

export interface Window {
  /** The raw series, split into groups of runners (one request each). */
  readonly raw: Series[][];
  readonly recorded: Series[];
}

export class FleetHistory {
  private readonly runners: Runner[];
  private readonly byMetric = new Map<string, RecentSeries[]>();
  /** Raw samples built so far. */
  samples = 0;

  constructor(
    plans: readonly RunnerPlan[],
    shapes: readonly Shape[],
    buckets: ReadonlyMap<string, readonly number[]>,
    start: number,
    private readonly step: number,
    private readonly rules: readonly Rule[],
  ) {
    const read = metricsRead(rules);
    this.runners = plans.map((plan) => {
      const slots = slotsFor(plan, shapes);
      const recent = slots.map((s) => {
        const labels = Object.fromEntries(s.labels);
        if (!read.has(labels.__name__!)) return undefined;
        const r = { labels, ts: [] as number[], vs: [] as number[] };
        if (!this.byMetric.has(labels.__name__!)) this.byMetric.set(labels.__name__!, []);
        this.byMetric.get(labels.__name__!)!.push(r);
        return r;
      });
      return {
        plan,
        state: new RunnerState(plan, buckets, start),
        slots,
        recent,
        present: slots.map(() => false),
        offset: (plan.index * 7.3) % step,
      };
    });
  }

  /**
   * The rules' output for the minutes of [from, to), and, when `raw`, every scrape in [from, to)
   * with runners split into `groups` (without it, only what the rules read is computed).
   */
  window(from: number, to: number, groups: number, raw: boolean): Window {
    const out: Series[][] = Array.from({ length: groups }, () => []);
    this.runners.forEach((r, i) => out[i % groups]!.push(...this.scrapes(r, from, to, raw)));
    return { raw: raw ? out : [], recorded: recordWindow(this.rules, this.byMetric, from, to) };
  }

  private scrapes(r: Runner, from: number, to: number, raw: boolean): Series[] {
    for (const rec of r.recent) {
      if (!rec) continue;
      const keepFrom = rec.ts.findIndex((t) => t > from - KEEP_SECONDS);
      rec.ts.splice(0, keepFrom < 0 ? rec.ts.length : keepFrom);
      rec.vs.splice(0, keepFrom < 0 ? rec.vs.length : keepFrom);
    }
    const series = r.slots.map((slot) => ({ labels: slot.labels, timestamps: [] as number[], values: [] as number[] }));
    for (let t = from + r.offset; t < to; t += this.step) {
      r.state.advance(t);
      const ms = Math.round(t * 1000);
      for (let i = 0; i < r.slots.length; i++) {
        const recent = r.recent[i];
        if (!raw && !recent) continue;
        let v = r.slots[i]!.read(r.state, t);
        if (v === undefined) {
          if (!r.present[i]) continue;
          r.present[i] = false;
          v = STALE_NAN;
        } else r.present[i] = true;
        if (recent) {
          recent.ts.push(ms / 1000);
          recent.vs.push(v);
        }
        if (!raw) continue;
        series[i]!.timestamps.push(ms);
        series[i]!.values.push(v);
        this.samples++;
      }
    }
    return series.filter((s) => s.timestamps.length > 0);
  }
}
