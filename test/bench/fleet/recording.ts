// The fleet recording rules (compose/prometheus/fleet-rules.yml), applied to the history as it
// is written, once a minute as Prometheus's rule manager would: every rule has a counterpart
// here, and after the history is in, the bench asks Prometheus to evaluate each rule's own
// expression at minutes across the month and checks that the recorded values equal it.
// (Evaluating the rules through Prometheus for every minute of the month would take longer than
// writing the history itself; their results must land in the same blocks as the raw series, as
// on a Prometheus that ran the rules all along, and its head takes no sample more than an hour
// older than its newest.)
import { readFileSync } from "node:fs";
import { parse } from "yaml";
import type { Series } from "./remote-write.js";

interface RuleFile {
  groups: { name: string; interval?: string; rules: { record?: string; expr: string }[] }[];
}

export interface Rule {
  readonly record: string;
  readonly expr: string;
}

/** The recording rules of a rules file, and their one evaluation interval in seconds. */
export function loadRecordingRules(file: string): { intervalSeconds: number; rules: Rule[] } {
  const doc = parse(readFileSync(file, "utf8")) as RuleFile;
  const intervals = new Set(doc.groups.map((g) => g.interval ?? "1m"));
  if (intervals.size !== 1 || !intervals.has("1m")) throw new Error(`${file}: the fleet bench expects one group interval of 1m`);
  return {
    intervalSeconds: 60,
    rules: doc.groups.flatMap((g) => g.rules.filter((r) => r.record).map((r) => ({ record: r.record!, expr: r.expr.trim() }))),
  };
}

/** How one rule turns the runners' samples into its series. */
export type Recorder =
  /** `agg by (runner_type, by...)` of each series' exact increment over the minute that ended a minute ago. */
  | { readonly kind: "increments"; readonly metric: string; readonly by: readonly string[]; readonly agg: "sum" | "max" }
  /** `agg by (runner_type)` of a gauge's latest value. */
  | { readonly kind: "gauge"; readonly metric: string; readonly agg: "sum" | "max" }
  /** sum by (runner_type) (clamp_min(github_runner_status - github_runner_busy, 0)). */
  | { readonly kind: "idle" };

const inc = (metric: string, by: readonly string[] = [], agg: "sum" | "max" = "sum"): Recorder => ({ kind: "increments", metric, by, agg });

/** Every rule of fleet-rules.yml, by record name. */
export const RECORDERS: Readonly<Record<string, Recorder>> = {
  "runner_type:github_runner_jobs:increments1m": inc("github_runner_jobs_total", ["status"]),
  "runner_type:github_runner_job_duration_seconds_bucket:increments1m": inc("github_runner_job_duration_seconds_bucket", ["le"]),
  "runner_type:github_runner_job_phase_duration_seconds_sum:increments1m": inc("github_runner_job_phase_duration_seconds_sum", ["phase"]),
  "runner_type:github_runner_busy_seconds:increments1m": inc("github_runner_busy_seconds_total"),
  "runner_type:github_runner_job_queue_time_seconds_bucket:increments1m": inc("github_runner_job_queue_time_seconds_bucket", ["le"]),
  "runner_type:github_runner_connection_errors:increments1m": inc("github_runner_connection_errors_total", ["reason"]),
  "runner_type:github_runner_listener_relaunches:increments1m": inc("github_runner_listener_relaunches_total", ["reason"]),
  "runner_type:github_runner_cache_requests:increments1m": inc("github_runner_cache_requests_total", ["cache_type", "result"]),
  "runner_type:github_runner_deployments:increments1m": inc("github_runner_deployments_total", ["result"]),
  "runner_type:github_runner_deploy_lead_time_seconds_sum:increments1m": inc("github_runner_deploy_lead_time_seconds_sum"),
  "runner_type:github_runner_deploy_lead_time_seconds_count:increments1m": inc("github_runner_deploy_lead_time_seconds_count"),
  "runner_type:github_runner_deploy_recovery_time_seconds_sum:increments1m": inc("github_runner_deploy_recovery_time_seconds_sum"),
  "runner_type:github_runner_deploy_recovery_time_seconds_count:increments1m": inc("github_runner_deploy_recovery_time_seconds_count"),
  "runner_type:github_runner_status:sum": { kind: "gauge", metric: "github_runner_status", agg: "sum" },
  "runner_type:github_runner_busy:sum": { kind: "gauge", metric: "github_runner_busy", agg: "sum" },
  "runner_type:github_runner_idle:sum": { kind: "idle" },
  "runner_type:process_resident_memory_bytes:max": { kind: "gauge", metric: "process_resident_memory_bytes", agg: "max" },
  "runner_type:process_cpu_seconds:max_increments1m": inc("process_cpu_seconds_total", [], "max"),
};

/** The metrics the rules read: only their series need recent samples. */
export function metricsRead(rules: readonly Rule[]): Set<string> {
  const read = new Set<string>();
  for (const rule of rules) {
    const r = RECORDERS[rule.record];
    if (!r) throw new Error(`no counterpart in the fleet bench for the rule ${rule.record}`);
    if (r.kind === "idle") ["github_runner_status", "github_runner_busy"].forEach((m) => read.add(m));
    else read.add(r.metric);
  }
  return read;
}

/** A runner's recent samples, one series: times in seconds, in order; NaN marks staleness. */
export interface RecentSeries {
  readonly labels: Readonly<Record<string, string>>;
  readonly ts: number[];
  readonly vs: number[];
}

const LOOKBACK = 300;

/** The value an instant selector sees at time x: the latest sample not after x, within the lookback, not a staleness marker. */
function at(s: RecentSeries, x: number): number | undefined {
  let lo = 0;
  let hi = s.ts.length - 1;
  let found = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (s.ts[mid]! <= x) {
      found = mid;
      lo = mid + 1;
    } else hi = mid - 1;
  }
  if (found < 0 || s.ts[found]! <= x - LOOKBACK) return undefined;
  const v = s.vs[found]!;
  return Number.isNaN(v) ? undefined : v;
}

/** The highest sample in [from, to] (a range selector in Prometheus 2), staleness markers left out. */
function maxIn(s: RecentSeries, from: number, to: number): number | undefined {
  let max: number | undefined;
  for (let i = 0; i < s.ts.length; i++) {
    const t = s.ts[i]!;
    const v = s.vs[i]!;
    if (t >= from && t <= to && !Number.isNaN(v)) max = max === undefined ? v : Math.max(max, v);
  }
  return max;
}

/** One rule's output at evaluation time tau (seconds), over every runner's recent samples by metric name. */
export function record(
  name: string,
  r: Recorder,
  byMetric: ReadonlyMap<string, readonly RecentSeries[]>,
  tau: number,
): Map<string, { labels: Record<string, string>; value: number }> {
  const out = new Map<string, { labels: Record<string, string>; value: number }>();
  const add = (labels: Record<string, string>, v: number, agg: "sum" | "max") => {
    // Called for every series at every minute: a plain key of the record and its label values.
    let key = name;
    for (const l in labels) key += `\u0000${labels[l]}`;
    const had = out.get(key);
    if (!had) out.set(key, { labels: { __name__: name, ...labels }, value: v });
    else had.value = agg === "sum" ? had.value + v : Math.max(had.value, v);
  };
  if (r.kind === "idle") {
    const busy = new Map((byMetric.get("github_runner_busy") ?? []).map((s) => [s.labels.runner_name!, s]));
    for (const s of byMetric.get("github_runner_status") ?? []) {
      const st = at(s, tau);
      const b = busy.get(s.labels.runner_name!);
      const bv = b && at(b, tau);
      if (st === undefined || bv === undefined) continue;
      add({ runner_type: s.labels.runner_type! }, Math.max(st - bv, 0), "sum");
    }
    return out;
  }
  for (const s of byMetric.get(r.metric) ?? []) {
    const labels: Record<string, string> = { runner_type: s.labels.runner_type! };
    if (r.kind === "gauge") {
      const v = at(s, tau);
      if (v !== undefined) add(labels, v, r.agg);
      continue;
    }
    for (const l of r.by) labels[l] = s.labels[l]!;
    const v1 = at(s, tau - 60);
    if (v1 === undefined) continue;
    const v2 = at(s, tau - 120);
    if (v2 === undefined) add(labels, v1, r.agg);
    else if (v1 - v2 >= 0) add(labels, v1 - v2, r.agg);
    else {
      // Reset in the minute: what was counted before it (the minute's highest value), then since.
      const before = maxIn(s, tau - 120, tau - 60);
      add(labels, before === undefined ? v1 : v1 + Math.max(before - v2, 0), r.agg);
    }
  }
  return out;
}

/** Every rule's series at each evaluation time in [from, to), as written by the rule manager. */
export function recordWindow(
  rules: readonly Rule[],
  byMetric: ReadonlyMap<string, readonly RecentSeries[]>,
  from: number,
  to: number,
): Series[] {
  const series = new Map<string, { labels: [string, string][]; timestamps: number[]; values: number[] }>();
  for (let tau = Math.ceil(from / 60) * 60; tau < to; tau += 60) {
    for (const rule of rules) {
      const r = RECORDERS[rule.record];
      if (!r) throw new Error(`no counterpart in the fleet bench for the rule ${rule.record}`);
      for (const [key, { labels, value }] of record(rule.record, r, byMetric, tau)) {
        let s = series.get(key);
        if (!s) {
          s = { labels: Object.entries(labels).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)), timestamps: [], values: [] };
          series.set(key, s);
        }
        s.timestamps.push(tau * 1000);
        s.values.push(value);
      }
    }
  }
  return [...series.values()];
}

interface Vector {
  status: string;
  error?: string;
  data: { result: { metric: Record<string, string>; value: [number, string] }[] };
}

async function instant(url: string, query: string, time: number): Promise<Map<string, number>> {
  const body = new URLSearchParams({ query, time: String(time) });
  const answer = (await (await fetch(`${url}/api/v1/query`, { method: "POST", body })).json()) as Vector;
  if (answer.status !== "success") throw new Error(`${query}: ${answer.error}`);
  return new Map(
    answer.data.result.map((r) => {
      const { __name__: _, ...labels } = r.metric;
      return [JSON.stringify(Object.entries(labels).sort()), Number(r.value[1])];
    }),
  );
}

/**
 * Compares, at each given minute, every rule's expression as Prometheus evaluates it with the
 * series recorded for that minute; returns the differences (none when the counterparts are exact).
 */
export async function verifyRecorded(url: string, rules: readonly Rule[], minutes: readonly number[]): Promise<string[]> {
  const problems: string[] = [];
  for (const tau of minutes) {
    for (const rule of rules) {
      const [expected, recorded] = await Promise.all([instant(url, rule.expr, tau), instant(url, `${rule.record} @ ${tau}`, tau)]);
      for (const [labels, v] of expected) {
        const got = recorded.get(labels);
        if (got === undefined || Math.abs(got - v) > 1e-9 * Math.max(1, Math.abs(v)))
          problems.push(`${rule.record}${labels} at ${tau}: Prometheus ${v}, recorded ${got}`);
      }
      for (const labels of recorded.keys())
        if (!expected.has(labels)) problems.push(`${rule.record}${labels} at ${tau}: recorded but not in Prometheus's evaluation`);
    }
  }
  return problems;
}
