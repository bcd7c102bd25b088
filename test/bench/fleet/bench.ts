// npm run bench:fleet: what the dashboards cost on a month of history.
//
// A fleet's month (workload.ts) is scraped in the shapes of a real scrape of the built supervisor
// and written into a real Prometheus through its remote-write receiver in time order, so that
// Prometheus stores and compacts it as it would have while scraping. The fleet recording rules'
// output for every minute is written with it (recording.ts), and checked against Prometheus's
// own evaluation of each rule. Then every query of every panel of both dashboards runs as
// Grafana runs it (range queries at the step Grafana picks for a wide panel, $__rate_interval,
// $__range), over 24 hours, 7 days and 30 days, with Prometheus's query statistics. The table
// gives each panel's median time, the samples its queries touched and the most held at once,
// and what they become for 1,000 runners scraped every 15 s over 30 days.
//
// FLEET_RUNNERS (default 3, one per runner type) and FLEET_DAYS (default 30) size the recorded
// history; the runners' own series are written for the last FLEET_RAW_DAYS (default 7) of it,
// which is what the runners dashboard reads (and its cost grows in proportion to). FLEET_KEEP=1
// keeps the Prometheus data directory.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { FIXTURES, ROOT, parseSamples, startSupervisor, stopSupervisor } from "../../helpers/index.js";
import {
  allPanels,
  interpolate,
  loadDashboard,
  loadFleetDashboard,
  type Dashboard,
  type Panel,
  type Target,
} from "../../e2e/dashboard/dashboard.js";
import { PrometheusServer } from "../../e2e/dashboard/prometheus-server.js";
import { selectors } from "../../e2e/dashboard/promql-lint.js";
import { panelTime } from "./grafana-time.js";
import { FleetHistory } from "./history.js";
import { loadRecordingRules, verifyRecorded } from "./recording.js";
import { remoteWrite } from "./remote-write.js";
import { bucketBounds, missingShapes, type Shape } from "./runner-state.js";
import { planRunner, type RunnerPlan } from "./workload.js";

const RUNNERS = Number(process.env.FLEET_RUNNERS ?? 3);
const DAYS = Number(process.env.FLEET_DAYS ?? 30);
const RAW_DAYS = Math.min(DAYS, Number(process.env.FLEET_RAW_DAYS ?? 7));
const SCRAPE = 30;
// Prometheus's head takes no sample older than an hour before the newest it holds: the history
// goes in windows of 50 minutes, each with its recorded series.
const WINDOW = 3000;
const TARGET = { runners: 1000, days: 30, scrape: 15 };
const RANGES: readonly (readonly [string, number])[] = [
  ["24h", 86_400],
  ["7d", 7 * 86_400],
  ["30d", 30 * 86_400],
];
const REPEATS = 5;
const SLOW_MS = 2000;
/** Prometheus's default --query.max-samples. */
const MAX_SAMPLES = 50_000_000;

const startedAt = performance.now();
const elapsed = () => `${((performance.now() - startedAt) / 1000).toFixed(0)} s`;
const log = (msg: string) => console.log(`[${elapsed()}] ${msg}`);

/** The series a real scrape of the built supervisor has (deploy metrics on), without its runner labels. */
async function scrapedShapes(): Promise<Shape[]> {
  const s = startSupervisor({
    runnerHome: join(FIXTURES, "dashboard", "standard"),
    command: ["bash", "-c", "source ../lib.sh && session_start && linger"],
    env: { RUNNER_TYPE: "standard", RUNNER_NAME: "shape", DEPLOY_PATTERN: "Deploy" },
  });
  try {
    await s.waitFor((m) => m.value("github_runner_status") === 1);
    const samples = parseSamples(await (await s.get("/metrics")).text());
    return samples.all.flatMap((f) =>
      f.samples.map((x) => {
        const { runner_name: _n, runner_type: _t, ...labels } = x.labels;
        return { name: x.name, labels, value: Number(x.value) };
      }),
    );
  } finally {
    await stopSupervisor(s);
  }
}

interface Stats {
  ms: number;
  samples: number;
  peak: number;
  error?: string;
}

async function runQuery(url: string, path: "query" | "query_range", params: Record<string, string>): Promise<Stats> {
  const body = new URLSearchParams({ ...params, stats: "all" });
  const t0 = performance.now();
  const res = await fetch(`${url}/api/v1/${path}`, { method: "POST", body });
  const answer = (await res.json()) as {
    status: string;
    error?: string;
    data?: { stats?: { samples?: { totalQueryableSamples: number; peakSamples: number } } };
  };
  const ms = performance.now() - t0;
  if (answer.status !== "success") return { ms, samples: 0, peak: 0, error: answer.error ?? "failed" };
  const s = answer.data?.stats?.samples;
  return { ms, samples: s?.totalQueryableSamples ?? 0, peak: s?.peakSamples ?? 0 };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/** How a target's cost grows from this history to the target fleet over a range, by the raw series it reads and how. */
function factors(expr: string, instant: boolean, rangeDays: number): { time: number; samples: number } {
  const raw = selectors(expr).filter((s) => !s.metric.includes(":"));
  // Over a range longer than the history, the target fleet's data fills the whole range.
  // Recorded series come one set per runner type: the same for any number of runners.
  if (raw.length === 0) return { time: rangeDays / Math.min(rangeDays, DAYS), samples: rangeDays / Math.min(rangeDays, DAYS) };
  const days = rangeDays / Math.min(rangeDays, RAW_DAYS);
  const runners = TARGET.runners / RUNNERS;
  const rawWindow = raw.some((s) => s.range !== undefined);
  const denser = SCRAPE / TARGET.scrape;
  // Twice the samples in every window at 15 s; a range query over gauges decodes twice as many too.
  const scaled = instant && !rawWindow ? runners : runners * days;
  return { samples: scaled * (rawWindow ? denser : 1), time: scaled * (rawWindow || !instant ? denser : 1) };
}

interface Timed extends Stats {
  /** The fastest run: the query's own cost, least disturbed by other work on the machine. */
  fastest: number;
}

/** Runs one target as Grafana would for this selection, a few times (once when a run takes over 3 s). */
async function measureTarget(
  url: string,
  d: Dashboard,
  panel: Panel,
  target: Target,
  end: number,
  range: number,
  selection: "All" | "none",
): Promise<Timed> {
  const minInterval = panel.interval ? Number(/^(\d+)m$/.exec(panel.interval)![1]) * 60 : SCRAPE;
  const time = panelTime(end, range, SCRAPE, minInterval);
  const hasNames = d.templating.list.some((v) => v.name === "runner_name");
  // "none": a selection that matches no runner, to see what a query costs before it reads any series.
  const vars = hasNames
    ? { runner_name: selection === "All" ? ("All" as const) : ["no-such-runner"], runner_type: "All" as const }
    : { runner_type: selection === "All" ? ("All" as const) : ["no-such-type"] };
  const expr = interpolate(d, target.expr, {
    ...vars,
    rangeSeconds: range,
    intervalSeconds: time.intervalSeconds,
    scrapeIntervalSeconds: SCRAPE,
  });
  const runs: Stats[] = [];
  while (runs.length < REPEATS && !(runs.length > 0 && runs[0]!.ms > 3000)) {
    runs.push(
      target.instant
        ? await runQuery(url, "query", { query: expr, time: String(end) })
        : await runQuery(url, "query_range", {
            query: expr,
            start: String(time.start),
            end: String(time.end),
            step: String(time.intervalSeconds),
          }),
    );
  }
  return { ...runs.at(-1)!, ms: median(runs.map((r) => r.ms)), fastest: Math.min(...runs.map((r) => r.ms)) };
}

interface RangeCost {
  ms: number;
  samples: number;
  peak: number;
  errors: string[];
  /** At the target fleet: time that does not grow with runners, and time per runner. */
  fixedMs: number;
  perRunnerMs: number;
  target: { ms: number; samples: number; peak: number };
}

interface Row {
  dashboard: string;
  panel: string;
  byRange: Map<string, RangeCost>;
}

/**
 * Every panel's targets over each range, and the same with a selection of no runner: its time
 * is what a query costs before it reads any series. At the target fleet a panel takes that fixed
 * cost plus the rest of its (fastest) time scaled by how much more data it reads there.
 */
async function measureDashboard(url: string, name: string, d: Dashboard, end: number): Promise<Row[]> {
  const rows: Row[] = [];
  for (const panel of allPanels(d)) {
    const byRange = new Map<string, RangeCost>();
    for (const [label, range] of RANGES) {
      const c: RangeCost = { ms: 0, samples: 0, peak: 0, errors: [], fixedMs: 0, perRunnerMs: 0, target: { ms: 0, samples: 0, peak: 0 } };
      for (const t of panel.targets ?? []) {
        const m = await measureTarget(url, d, panel, t, end, range, "All");
        // Grafana sends a panel's queries together; their sum is the panel's cost on one core.
        c.ms += m.ms;
        c.samples += m.samples;
        c.peak = Math.max(c.peak, m.peak);
        if (m.error) c.errors.push(m.error);
        const f = factors(t.expr, t.instant ?? false, range / 86400);
        const grows = selectors(t.expr).some((s) => !s.metric.includes(":"));
        const fixed = grows ? Math.min(m.fastest, (await measureTarget(url, d, panel, t, end, range, "none")).fastest) : 0;
        const scaled = (m.fastest - fixed) * f.time;
        c.fixedMs += fixed;
        if (grows) c.perRunnerMs += scaled / TARGET.runners;
        c.target.ms += fixed + scaled;
        c.target.samples += m.samples * f.samples;
        c.target.peak = Math.max(c.target.peak, m.peak * f.samples);
      }
      byRange.set(label, c);
    }
    rows.push({ dashboard: name, panel: panel.title, byRange });
  }
  return rows;
}

const fmtMs = (ms: number) => (ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${ms.toFixed(ms < 10 ? 1 : 0)} ms`);
const fmtN = (n: number) =>
  n >= 1e9
    ? `${(n / 1e9).toFixed(2)} G`
    : n >= 1e6
      ? `${(n / 1e6).toFixed(1)} M`
      : n >= 1e3
        ? `${(n / 1e3).toFixed(1)} k`
        : `${Math.round(n)}`;

function table(rows: readonly Row[]): string {
  const header = [
    "dashboard",
    "panel",
    "24h",
    "7d",
    "30d",
    "30d samples",
    "30d peak",
    `${TARGET.runners}x${TARGET.days}d time`,
    "samples",
    "peak",
    "verdict",
  ];
  const lines = rows.map((r) => {
    const v = (k: string) => r.byRange.get(k)!;
    const t = v("30d").target;
    const errors = [...r.byRange.values()].flatMap((x) => x.errors);
    const verdict = errors.length
      ? `error: ${errors[0]}`
      : t.peak >= MAX_SAMPLES
        ? "over max-samples"
        : t.ms >= SLOW_MS
          ? "over 2 s"
          : "ok";
    return [
      r.dashboard,
      r.panel,
      fmtMs(v("24h").ms),
      fmtMs(v("7d").ms),
      fmtMs(v("30d").ms),
      fmtN(v("30d").samples),
      fmtN(v("30d").peak),
      fmtMs(t.ms),
      fmtN(t.samples),
      fmtN(t.peak),
      verdict,
    ];
  });
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i]!.length)));
  const fmt = (l: readonly string[]) => l.map((c, i) => (i < 2 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join("  ");
  return [fmt(header), widths.map((w) => "-".repeat(w)).join("  "), ...lines.map(fmt)].join("\n");
}

/** Jobs whose end was first scraped in (from, to], from the plan: the truth the stats must show. */
function jobsScrapedIn(plans: readonly RunnerPlan[], start: number, from: number, to: number): number {
  let n = 0;
  for (const p of plans) {
    const offset = (p.index * 7.3) % SCRAPE;
    for (const j of p.jobs) {
      const scraped = start + offset + Math.ceil((j.end - start - offset) / SCRAPE) * SCRAPE;
      if (scraped > from && scraped <= to && scraped < start + DAYS * 86400) n++;
    }
  }
  return n;
}

async function main(): Promise<void> {
  const end = Math.floor(Date.now() / 1000 / 7200) * 7200 - 7200;
  const start = end - DAYS * 86400;
  log(
    `fleet bench: ${RUNNERS} runners x ${DAYS} days (their own series for the last ${RAW_DAYS}), scraped every ${SCRAPE} s, ending ${new Date(end * 1000).toISOString()}`,
  );

  const scraped = await scrapedShapes();
  const shapes = [...scraped, ...missingShapes(scraped)];
  log(
    `a real scrape of the built supervisor (deploy metrics on): ${scraped.length} series; with those that appear once jobs ran and those of metrics it does not expose yet (busy seconds, job phases, process_*): ${shapes.length} per runner`,
  );
  const plans = Array.from({ length: RUNNERS }, (_, i) => planRunner(i, start, end));
  const { rules } = loadRecordingRules(join(ROOT, "compose", "prometheus", "fleet-rules.yml"));
  const history = new FleetHistory(plans, shapes, bucketBounds(shapes), start, SCRAPE, rules);

  const work = mkdtempSync(join(tmpdir(), "fleet-bench-"));
  const config = join(work, "prometheus.yml");
  writeFileSync(config, `global:\n  scrape_interval: ${SCRAPE}s\n`);
  const prometheus = await PrometheusServer.start(config, work, [
    "--web.enable-remote-write-receiver",
    "--storage.tsdb.retention.time=400d",
  ]);
  try {
    const write = `${prometheus.url}/api/v1/write`;
    const spent = { build: 0, write: 0 };
    let recordedSamples = 0;
    const rawFrom = end - RAW_DAYS * 86400;
    const build = (from: number) => {
      const t0 = performance.now();
      const w = history.window(from, Math.min(from + WINDOW, end), 2, from >= rawFrom);
      spent.build += performance.now() - t0;
      recordedSamples += w.recorded.reduce((a, x) => a + x.values.length, 0);
      return w;
    };
    let next = build(start);
    const ingestStart = performance.now();
    for (let from = start; from < end; from += WINDOW) {
      const sending = Promise.all([...next.raw, next.recorded].map((group) => remoteWrite(write, group)));
      // Build the next window while Prometheus ingests this one.
      if (from + WINDOW < end) next = build(from + WINDOW);
      const t1 = performance.now();
      await sending;
      spent.write += performance.now() - t1;
      if (Math.floor((from + WINDOW - start) / (5 * 86400)) > Math.floor((from - start) / (5 * 86400)))
        log(
          `  ${Math.round((from + WINDOW - start) / 86400)} days written (${fmtN(history.samples)} raw samples, ${fmtN(recordedSamples)} recorded)`,
        );
    }
    const ingestSeconds = (performance.now() - ingestStart) / 1000;
    log(
      `history written: ${fmtN(history.samples)} raw samples and ${fmtN(recordedSamples)} recorded in ${ingestSeconds.toFixed(0)} s (${fmtN(history.samples / ingestSeconds)} samples/s; building them took ${(spent.build / 1000).toFixed(0)} s, waiting for Prometheus ${(spent.write / 1000).toFixed(0)} s)`,
    );
    await settle(prometheus.url);
    // The recorded series must be what Prometheus itself computes from the rules.
    // Where Prometheus holds the runners' own series (the rules need ten minutes of them before).
    const verifyFrom = end - RAW_DAYS * 86400 + 600;
    const minutes = Array.from({ length: 12 }, (_, k) => Math.floor((verifyFrom + ((end - 600 - verifyFrom) * (k + 0.5)) / 12) / 60) * 60);
    const problems = await verifyRecorded(prometheus.url, rules, minutes);
    if (problems.length > 0)
      throw new Error(`recorded series differ from Prometheus's evaluation of fleet-rules.yml:\n${problems.slice(0, 20).join("\n")}`);
    log(`recorded series equal Prometheus's own evaluation of every rule at ${minutes.length} minutes across the last ${RAW_DAYS} days`);

    // Whole jobs: the stats of both dashboards against the plan, over the last 24 hours. increase()
    // sees only increments between samples inside its range, and extrapolates.
    const day = 86400;
    const fleetStat = await prometheus.query(`sum(sum_over_time(runner_type:github_runner_jobs:increments1m[${day}s]))`, end);
    const rawStat = await prometheus.query(`sum(increase(github_runner_jobs_total[${day}s]))`, end);
    // A record at minute m counts what was scraped in (m - 2 min, m - 1 min]; the last record is a minute before the end.
    const truthFleet = jobsScrapedIn(plans, start, end - day - 120, end - 120);
    const truthRaw = jobsScrapedIn(plans, start, end - day, end);
    log(
      `jobs in the last 24 h: fleet dashboard ${fleetStat[0]?.value} (the plan: ${truthFleet}); runners dashboard, increase() ${rawStat[0]?.value.toFixed(2)}, shown ${Math.round(rawStat[0]?.value ?? 0)} (the plan: ${truthRaw})`,
    );

    const rows = [
      ...(await measureDashboard(prometheus.url, "runners", loadDashboard(), end)),
      ...(await measureDashboard(prometheus.url, "fleet", loadFleetDashboard(), end)),
    ];
    log("queries done");
    console.log(
      `\nEach panel's queries as Grafana sends them (median of up to ${REPEATS} runs), summed per panel; samples: Prometheus's totalQueryableSamples, peak: peakSamples.`,
    );
    console.log(
      `Measured on ${RUNNERS} runners scraped every ${SCRAPE} s: recorded series over ${DAYS} days, the runners' own over ${RAW_DAYS}. The last three columns: ${TARGET.runners} runners x ${TARGET.days} days scraped every ${TARGET.scrape} s,`,
    );
    console.log(
      `each query's fixed cost (its time with a selection of no runner) plus the rest of its fastest run scaled by the data it reads there:`,
    );
    console.log(
      `series of every runner x${(TARGET.runners / RUNNERS).toFixed(0)}, samples in a window x${SCRAPE / TARGET.scrape}, days of the runners' own series x${(TARGET.days / RAW_DAYS).toFixed(1)}${DAYS < TARGET.days ? `, of recorded series x${(TARGET.days / DAYS).toFixed(1)}` : ""}; recorded series (one set per runner type) do not grow with the fleet.\n`,
    );
    console.log(table(rows));
    summary(rows);
  } finally {
    await prometheus.stop();
    if (process.env.FLEET_KEEP === "1") console.log(`kept ${work}`);
    else rmSync(work, { recursive: true, force: true });
  }
  log("done");
}

/** Waits until Prometheus has finished compacting what it was sent (no compaction for 5 s). */
async function settle(url: string): Promise<void> {
  const t0 = performance.now();
  const read = async () => {
    const text = await (await fetch(`${url}/metrics`)).text();
    const v = (name: string) => Number(new RegExp(`^${name} (\\S+)$`, "m").exec(text)?.[1] ?? NaN);
    return `${v("prometheus_tsdb_compactions_total")}/${v("prometheus_tsdb_blocks_loaded")}`;
  };
  let last = await read();
  let stableSince = performance.now();
  while (performance.now() - stableSince < 5000 && performance.now() - t0 < 120_000) {
    await new Promise((r) => setTimeout(r, 500));
    const now = await read();
    if (now !== last) {
      last = now;
      stableSince = performance.now();
    }
  }
  log(`compactions settled (compactions/blocks ${last}) after ${((performance.now() - t0) / 1000).toFixed(0)} s`);
}

function summary(rows: readonly Row[]): void {
  for (const name of ["fleet", "runners"]) {
    const mine = rows.filter((r) => r.dashboard === name);
    const ok = (r: Row) => {
      const t = r.byRange.get("30d")!.target;
      return t.ms < SLOW_MS && t.peak < MAX_SAMPLES && [...r.byRange.values()].every((x) => x.errors.length === 0);
    };
    const worst = mine.reduce((a, r) => (r.byRange.get("30d")!.target.ms > a.byRange.get("30d")!.target.ms ? r : a));
    const passing = mine.filter(ok).length;
    console.log(
      `\n${name} dashboard: ${passing === mine.length ? "every panel" : `${passing} of ${mine.length} panels`} under ${SLOW_MS / 1000} s and within the default query limits at ${TARGET.runners} runners x ${TARGET.days} days (slowest: ${worst.panel}, ${fmtMs(worst.byRange.get("30d")!.target.ms)}).`,
    );
    if (passing === mine.length) continue;
    // For each range, the fleet size at which the first panel reaches 2 s.
    const sizes = RANGES.map(([label]) => {
      const n = Math.min(
        ...mine
          .map((r) => r.byRange.get(label)!)
          .filter((c) => c.perRunnerMs > 0)
          .map((c) => Math.max(0, SLOW_MS - c.fixedMs) / c.perRunnerMs),
      );
      return `${label}: about ${n >= 10 ? Math.floor(n) : n.toFixed(1)} runners`;
    });
    console.log(
      `  Every panel stays under ${SLOW_MS / 1000} s up to (${TARGET.scrape} s scrapes) ${sizes.join(", ")}; beyond that, use the fleet dashboard.`,
    );
  }
}

main().catch((e: unknown) => {
  console.error(e);
  process.exitCode = 1;
});
