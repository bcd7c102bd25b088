// Every query of the dashboard, evaluated by a real Prometheus that scrapes three real
// supervisors (standard, chrome, chrome-go), each wrapping a scripted runner with known jobs.
// Variables and $__rate_interval/$__range are resolved as Grafana resolves them, and the
// values are compared with the script's truth (test/e2e/dashboard/scripted-truth.ts).
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { availableParallelism, tmpdir } from "node:os";
import { join } from "node:path";
import { HOOK_BUDGET_SECONDS } from "../../../src/channel/hook-files.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ROOT } from "../../helpers/index.js";
import { allPanels, interpolate, loadDashboard, rateIntervalSeconds, type Interpolation, type Selection } from "./dashboard.js";
import { PrometheusServer, type InstantSample, type RangeSeries } from "./prometheus-server.js";
import { startScriptedFleet, type ScriptedFleet } from "./scripted-fleet.js";
import { QUEUE_SECONDS, RUNNERS, truthFor, type ScriptedRunner } from "./scripted-truth.js";

const SCRAPE_SECONDS = 1;
// As if the user picked "Last 5 minutes": Grafana's interval for it is under the datasource's
// scrape interval, so $__interval is the scrape interval and $__rate_interval is 4 scrapes.
const RANGE_SECONDS = 300;
const dashboard = loadDashboard();
const panels = allPanels(dashboard);

interface TargetResult {
  refId: string;
  legend: string | undefined;
  expr: string;
  instant?: InstantSample[];
  range?: RangeSeries[];
}

let prometheus: PrometheusServer | undefined;
let fleet: ScriptedFleet | undefined;
let workDir = "";
let goAtSeconds = 0;
let releaseSeenAtSeconds = 0;
let evaluatedAt = 0;

beforeAll(async () => {
  workDir = mkdtempSync(join(tmpdir(), "dashboard-e2e-"));
  fleet = await startScriptedFleet(workDir);
  const supervisors = fleet.supervisors;

  const config = join(workDir, "prometheus.yml");
  writeFileSync(
    config,
    [
      "global:",
      `  scrape_interval: ${SCRAPE_SECONDS}s`,
      "  scrape_timeout: 900ms",
      `  evaluation_interval: ${SCRAPE_SECONDS}s`,
      "rule_files:",
      `  - ${JSON.stringify(join(ROOT, "compose", "prometheus", "alerts.yml"))}`,
      "scrape_configs:",
      "  - job_name: github-runners",
      "    static_configs:",
      `      - targets: [${fleet.targets.map((t) => `"${t}"`).join(", ")}]`,
      "",
    ].join("\n"),
  );
  prometheus = await PrometheusServer.start(config, workDir);

  // Every runner scraped a few times while idle, so each counter starts at a seen 0. The longer
  // the scraped history, the less increase() extrapolates past the last scrape (at most one
  // scrape interval over the whole history: 1 s in 25 s here).
  await prometheus.waitFor(
    'count_over_time(github_runner_jobs_total{status="success"}[1m])',
    (r) => r.length === RUNNERS.length && r.every((s) => s.value >= 6),
    15_000,
  );
  goAtSeconds = fleet.go();
  // When e2e-standard's last job really started, as its output shows it (the hooks add a few
  // tenths of a second per job to the script's sleeps). Polled every 20 ms, at most 30 s.
  for (let i = 0; i < 1500 && !supervisors[0]!.stdout().includes("Running job: release notes"); i++)
    await new Promise((r) => setTimeout(r, 20));
  releaseSeenAtSeconds = Date.now() / 1000;

  // The script's end as Prometheus sees it (every job counted, the last connection error, the
  // job left running), then a few more scrapes.
  const truth = truthFor(RUNNERS);
  const end: [string, number][] = [
    ["sum(github_runner_jobs_total)", truth.totalJobs],
    ["sum(github_runner_connection_errors_total)", truth.connectErrors],
    ["sum(github_runner_busy)", truth.busy],
    ["sum(github_runner_job_queue_time_seconds_count)", truth.hookedJobs],
    ["sum(github_runner_deployments_total)", truth.deploys.success + truth.deploys.failed],
  ];
  for (const [expr, value] of end) await prometheus.waitFor(expr, (r) => r[0]?.value === value, 90_000);
  await new Promise((r) => setTimeout(r, 4_000 * SCRAPE_SECONDS));
  evaluatedAt = Date.now() / 1000;
}, 300_000);

afterAll(async () => {
  await fleet?.stop();
  await prometheus?.stop();
  if (workDir) rmSync(workDir, { recursive: true, force: true });
});

/** Evaluates every target of every panel as Grafana would for this selection. */
async function evaluateDashboard(runner_name: Selection, runner_type: Selection): Promise<Map<string, TargetResult[]>> {
  const o: Interpolation = {
    runner_name,
    runner_type,
    rangeSeconds: RANGE_SECONDS,
    intervalSeconds: SCRAPE_SECONDS,
    scrapeIntervalSeconds: SCRAPE_SECONDS,
  };
  const step = o.intervalSeconds;
  // Grafana aligns range queries to the step.
  const end = Math.floor(evaluatedAt / step) * step;
  const start = Math.floor((evaluatedAt - RANGE_SECONDS) / step) * step;
  const results = new Map<string, TargetResult[]>();
  for (const panel of panels) {
    const targets: TargetResult[] = [];
    for (const t of panel.targets ?? []) {
      const expr = interpolate(dashboard, t.expr, o);
      const result: TargetResult = { refId: t.refId, legend: t.legendFormat, expr };
      if (t.instant) result.instant = await prometheus!.query(expr, evaluatedAt);
      else result.range = await prometheus!.queryRange(expr, start, end, step);
      targets.push(result);
    }
    results.set(panel.title, targets);
  }
  return results;
}

const runnersOf = (pick: (r: ScriptedRunner) => boolean) => RUNNERS.filter(pick);
/** The single value of an instant query that returns one series. */
function single(results: Map<string, TargetResult[]>, title: string): number | undefined {
  const target = results.get(title)![0]!;
  expect(target.instant, `${title}: an instant query`).toBeDefined();
  expect(target.instant!.length, `${title}: at most one series`).toBeLessThanOrEqual(1);
  return target.instant![0]?.value;
}
const byLabel = (samples: InstantSample[], label: string) => Object.fromEntries(samples.map((s) => [s.metric[label]!, s.value]));
/** The area under a jobs-per-hour series (sum of value x step): the number of jobs it stands for. */
const jobsUnder = (series: RangeSeries) =>
  series.values.filter(([, v]) => Number.isFinite(v)).reduce((a, [, v]) => a + (v / 3600) * SCRAPE_SECONDS, 0);
const finiteValues = (series: RangeSeries[] | undefined) =>
  (series ?? []).flatMap((s) => s.values.map(([, v]) => v)).filter(Number.isFinite);
const pct = (v: number | undefined) => (v === undefined ? "No data" : `${(v * 100).toFixed(1)} %`);

const report: string[][] = [];

describe("the dashboard on a real Prometheus scraping three supervisors", () => {
  it("shows the scripted truth in every panel for all runners", async () => {
    const results = await evaluateDashboard("All", "All");
    const truth = truthFor(RUNNERS);
    const checked = new Set<string>();
    const row = (title: string, shown: string, expected: string) => {
      checked.add(title);
      report.push([title, shown, expected]);
    };

    const statusOverview = byLabel(results.get("Runner Status Overview")![0]!.instant!, "runner_name");
    expect(statusOverview).toEqual(truth.statusByRunner);
    row(
      "Runner Status Overview",
      Object.entries(statusOverview)
        .map(([n, v]) => `${n} ${v === 1 ? "Online" : "Offline"}`)
        .join(", "),
      Object.entries(truth.statusByRunner)
        .map(([n, v]) => `${n} ${v === 1 ? "Online" : "Offline"}`)
        .join(", "),
    );

    const active = single(results, "Active Runners");
    expect(active).toBe(truth.online);
    row("Active Runners", String(active), String(truth.online));

    const busy = single(results, "Busy Runners");
    expect(busy).toBe(truth.busy);
    row("Busy Runners", String(busy), String(truth.busy));

    // increase() extrapolates to the end of the range by at most one scrape: a few percent.
    const total = single(results, "Total Jobs Executed")!;
    expect(Math.round(total)).toBe(truth.totalJobs);
    expect(Math.abs(total - truth.totalJobs)).toBeLessThan(0.06 * truth.totalJobs);
    row("Total Jobs Executed", `${Math.round(total)} (raw ${total.toFixed(3)})`, String(truth.totalJobs));

    const successRate = single(results, "Job Success Rate")!;
    expect(Math.abs(successRate - truth.successRate!)).toBeLessThan(0.01);
    row("Job Success Rate", pct(successRate), pct(truth.successRate));

    const perHour = results.get("Jobs per Hour")![0]!.range!;
    const perStatus = Object.fromEntries(perHour.map((s) => [s.metric.status!, jobsUnder(s)]));
    const jobsFromRate = Object.values(perStatus).reduce((a, b) => a + b, 0);
    // A rate over 4 scrapes, summed over 1 s steps, counts each job about once: how the scrape
    // times fall against the steps and the extrapolation to the window's edges move it by a
    // few tenths per job (0.86 to 0.94 of the truth measured). Double counting would show 2x,
    // a wrong unit 60x or 3600x.
    expect(jobsFromRate).toBeGreaterThan(0.6 * truth.totalJobs);
    expect(jobsFromRate).toBeLessThan(1.5 * truth.totalJobs);
    expect(perStatus.success).toBeGreaterThan(0.6 * truth.byStatus.success);
    expect(perStatus.success).toBeLessThan(1.5 * truth.byStatus.success);
    expect(perStatus.skipped).toBe(0);
    expect(perStatus.abandoned).toBe(0);
    const peak = Math.max(...finiteValues(perHour));
    row(
      "Jobs per Hour",
      `series for ${perHour.length} statuses; peak ${peak.toFixed(0)} jobs/h; area = ${jobsFromRate.toFixed(2)} jobs (success ${perStatus.success!.toFixed(2)})`,
      `${truth.totalJobs} jobs (success ${truth.byStatus.success}) within ~15 s`,
    );

    const [p50, p95] = results.get("Job Duration Trends")!;
    const p50Values = finiteValues(p50!.range);
    const p95Values = finiteValues(p95!.range);
    expect(p50Values.length).toBeGreaterThan(0);
    expect(p95Values.length).toBeGreaterThan(0);
    // Every scripted job lasted 1.5 to 6 s (the unknown one about 2.5 s): buckets (1, 5] and (5, 10].
    for (const v of [...p50Values, ...p95Values]) {
      expect(v).toBeGreaterThan(1);
      expect(v).toBeLessThanOrEqual(10);
    }
    row(
      "Job Duration Trends",
      `p50 ${Math.min(...p50Values).toFixed(2)}..${Math.max(...p50Values).toFixed(2)} s, p95 ${Math.min(...p95Values).toFixed(2)}..${Math.max(...p95Values).toFixed(2)} s`,
      "jobs of 1.5-6 s: estimates inside buckets (1,5] and (5,10]",
    );

    const distribution = byLabel(results.get("Job Status Distribution")![0]!.instant!, "status");
    expect(Object.keys(distribution).sort()).toEqual(Object.keys(truth.byStatus).sort());
    for (const [status, n] of Object.entries(truth.byStatus)) expect(Math.round(distribution[status]!), status).toBe(n);
    row(
      "Job Status Distribution",
      Object.entries(distribution)
        .map(([s, v]) => `${s} ${Math.round(v)}`)
        .join(", "),
      Object.entries(truth.byStatus)
        .map(([s, v]) => `${s} ${v}`)
        .join(", "),
    );

    const uptime = results.get("Runner Uptime")![0]!.instant!;
    expect(uptime.map((s) => s.metric.runner_name).sort()).toEqual(RUNNERS.map((r) => r.name).sort());
    for (const s of uptime) {
      const expected = (evaluatedAt - fleet!.spawnedAtSeconds.get(s.metric.runner_name!)!) / 3600;
      expect(s.metric.runner_type).toBe(RUNNERS.find((r) => r.name === s.metric.runner_name)!.type);
      // Started after we spawned it (node's start-up), never before.
      expect(s.value * 3600, s.metric.runner_name).toBeLessThanOrEqual(expected * 3600 + 0.5);
      expect(s.value * 3600, s.metric.runner_name).toBeGreaterThan(expected * 3600 - 5);
    }
    row(
      "Runner Uptime",
      uptime.map((s) => `${s.metric.runner_name} ${s.value.toFixed(5)} h (${(s.value * 3600).toFixed(1)} s)`).join(", "),
      RUNNERS.map((r) => `${r.name} ${(evaluatedAt - fleet!.spawnedAtSeconds.get(r.name)!).toFixed(1)} s since spawn`).join(", "),
    );

    const [connection, relaunch] = results.get("Connection Problems and Relaunches")!;
    const maxBy = (series: RangeSeries[]) => Object.fromEntries(series.map((s) => [s.metric.reason!, Math.max(0, ...finiteValues([s]))]));
    const connectionMax = maxBy(connection!.range!);
    const relaunchMax = maxBy(relaunch!.range!);
    expect(Object.keys(connectionMax).sort()).toEqual(["connect_error", "runner_removed", "session_conflict", "session_failed"]);
    expect(Object.keys(relaunchMax).sort()).toEqual(["retryable", "updating"]);
    expect(Math.round(connectionMax.connect_error!)).toBe(truth.connectErrors);
    expect(Math.round(relaunchMax.retryable!)).toBe(truth.relaunchesRetryable);
    for (const reason of ["runner_removed", "session_conflict", "session_failed"]) expect(connectionMax[reason]).toBe(0);
    expect(relaunchMax.updating).toBe(0);
    row(
      "Connection Problems and Relaunches",
      `peak per window: connect_error ${connectionMax.connect_error!.toFixed(2)}, retryable relaunch ${relaunchMax.retryable!.toFixed(2)}, others 0`,
      `connect_error ${truth.connectErrors}, retryable relaunch ${truth.relaunchesRetryable}, others 0`,
    );

    const deployments = single(results, "Deployment Frequency (successful deploy jobs)")!;
    expect(Math.round(deployments)).toBe(truth.deploys.success);
    row(
      "Deployment Frequency (successful deploy jobs)",
      `${Math.round(deployments)} (raw ${deployments.toFixed(3)})`,
      String(truth.deploys.success),
    );

    // From the commit (whole seconds, COMMIT_AGE before the job started) to the deploy job's
    // completed line: the sleep plus the hooks' few tenths of a second and the timestamp's
    // rounding, never less than the truth's lower bound.
    const leadTime = single(results, "Lead Time for Changes (commit to deploy job end)")!;
    expect(leadTime * 60).toBeGreaterThanOrEqual(truth.deploys.meanLeadSeconds!);
    // Upper bound: the timestamp's rounding and the hooks, each up to its budget on a busy machine.
    expect(leadTime * 60).toBeLessThan(truth.deploys.meanLeadSeconds! + 2 + 2 * (HOOK_BUDGET_SECONDS + 0.35) + 0.3);
    row(
      "Lead Time for Changes (commit to deploy job end)",
      `${leadTime.toFixed(4)} min (${(leadTime * 60).toFixed(2)} s)`,
      `>= ${(truth.deploys.meanLeadSeconds! / 60).toFixed(4)} min (${truth.deploys.meanLeadSeconds!.toFixed(2)} s), within 3 s`,
    );

    const cfr = single(results, "Change Failure Rate (failed deploy jobs)")!;
    expect(Math.abs(cfr - truth.deploys.changeFailureRate!)).toBeLessThan(0.01);
    row("Change Failure Rate (failed deploy jobs)", pct(cfr), pct(truth.deploys.changeFailureRate));

    const restore = single(results, "Time to Restore (failed deploy to next successful deploy)")!;
    expect(truth.deploys.recoverySeconds).toHaveLength(1);
    expect(restore).toBeGreaterThanOrEqual(truth.deploys.recoverySeconds[0]!);
    expect(restore).toBeLessThan(truth.deploys.recoverySeconds[0]! + 2);
    row(
      "Time to Restore (failed deploy to next successful deploy)",
      `${restore.toFixed(2)} s`,
      `>= ${truth.deploys.recoverySeconds[0]!.toFixed(2)} s (e2e-chrome's deploy (staging)), within 2 s`,
    );

    const [q50, q95] = results.get("Queue Time")!;
    const queueValues = [...finiteValues(q50!.range), ...finiteValues(q95!.range)];
    expect(finiteValues(q50!.range).length).toBeGreaterThan(0);
    // Every job waited QUEUE_SECONDS (42 s): bucket (30, 60].
    for (const v of queueValues) {
      expect(v).toBeGreaterThan(30);
      expect(v).toBeLessThanOrEqual(60);
    }
    row(
      "Queue Time",
      `p50/p95 ${Math.min(...queueValues).toFixed(2)}..${Math.max(...queueValues).toFixed(2)} s`,
      `every job ${QUEUE_SECONDS} s: estimates inside bucket (30,60]`,
    );

    const inFlight = single(results, "Longest Job in Flight")!;
    const releaseStarted = goAtSeconds + RUNNERS[0]!.jobInFlightAfter!;
    // The script's sleeps and hooks only add time: the job starts after the planned moment, and
    // no later than when its line was seen in the supervisor's output.
    expect(releaseSeenAtSeconds).toBeGreaterThanOrEqual(releaseStarted);
    expect(inFlight).toBeGreaterThan(evaluatedAt - releaseSeenAtSeconds - 0.5);
    expect(inFlight).toBeLessThanOrEqual(evaluatedAt - releaseStarted + 0.5);
    row(
      "Longest Job in Flight",
      `${inFlight.toFixed(1)} s`,
      `~${(evaluatedAt - releaseStarted).toFixed(1)} s (e2e-standard's "release notes")`,
    );

    // Hit share per rate window by cache type: buildkit's one report is 3 of 4 in every window
    // that holds it; npm's hit and miss (two jobs apart) show 1, 0.5 or 0 as windows hold them.
    const cache = results.get("Cache Hit Rates")![0]!.range!;
    const byType = Object.fromEntries(cache.map((c) => [c.metric.cache_type!, finiteValues([c])]));
    expect(Object.keys(byType).sort()).toEqual(Object.keys(truth.cacheHitRate).sort());
    expect(byType.buildkit!.length).toBeGreaterThan(0);
    for (const v of byType.buildkit!) expect(v).toBeCloseTo(truth.cacheHitRate.buildkit!, 6);
    for (const v of byType.npm!)
      expect(
        [0, 0.5, 1].some((x) => Math.abs(v - x) < 1e-6),
        String(v),
      ).toBe(true);
    expect(byType.npm!.some((v) => Math.abs(v - 1) < 1e-6)).toBe(true);
    row(
      "Cache Hit Rates",
      Object.entries(byType)
        .map(([t, v]) => `${t} ${[...new Set(v.map((x) => x.toFixed(2)))].join("/")}`)
        .join(", "),
      `buildkit ${truth.cacheHitRate.buildkit}, npm 1 then 0 (${truth.cacheHitRate.npm} overall)`,
    );

    // Online and not busy at the end: e2e-chrome only (e2e-standard runs a job, e2e-chrome-go is offline).
    const idle = results.get("Idle Capacity")![0]!.range!;
    const lastIdle = Object.fromEntries(idle.map((s) => [s.metric.runner_type!, s.values.at(-1)![1]]));
    const idleTruth = Object.fromEntries(RUNNERS.map((r) => [r.type, r.online && r.jobInFlightAfter === undefined ? 1 : 0]));
    expect(lastIdle).toEqual(idleTruth);
    row(
      "Idle Capacity",
      Object.entries(lastIdle)
        .map(([t, v]) => `${t} ${v}`)
        .join(", "),
      Object.entries(idleTruth)
        .map(([t, v]) => `${t} ${v}`)
        .join(", "),
    );

    // The supervisors' own footprint, for each runner: a resident size a Node process has, and some CPU.
    const [memory, cpu] = results.get("Supervisor Overhead")!.map((t) => t.range!);
    const supervisors = RUNNERS.map((r) => r.name).sort();
    expect(memory!.map((s) => s.metric.runner_name).sort()).toEqual(supervisors);
    for (const s of memory!) {
      const last = s.values.at(-1)![1];
      expect(last, s.metric.runner_name).toBeGreaterThan(20 * 1024 * 1024);
      expect(last, s.metric.runner_name).toBeLessThan(300 * 1024 * 1024);
    }
    expect(cpu!.map((s) => s.metric.runner_name).sort()).toEqual(supervisors);
    const cpuValues = cpu!.flatMap((s) => s.values.map(([, v]) => v).filter(Number.isFinite));
    expect(cpuValues.length).toBeGreaterThan(0);
    expect(cpuValues.every((v) => v >= 0 && v < 1)).toBe(true);
    row(
      "Supervisor Overhead",
      memory!.map((s) => `${s.metric.runner_name} ${(s.values.at(-1)![1] / 1048576).toFixed(0)} MiB`).join(", "),
      "each supervisor: 20 to 300 MiB resident, under one core",
    );

    // Seconds under a seconds-per-second series (sum of value x step).
    const secondsUnder = (series: RangeSeries) => finiteValues([series]).reduce((a, v) => a + v * SCRAPE_SECONDS, 0);
    // Each hooked job adds to its sleep two hook processes and a report: a few tenths of a second
    // on a quiet machine; on a busy one each hook runs up to its budget (then it is killed) plus
    // bash's own start. Bounds above use that worst case, not the quiet figure.
    const HOOK_SECONDS = 2 * (HOOK_BUDGET_SECONDS + 0.35) + 0.3;

    // Where job time goes: the steps are the sleeps between the hooks of every finished hooked
    // job; set-up and clean-up are only what the hooks themselves take.
    const hooked = RUNNERS.flatMap((r) => r.jobs.filter((j) => j.hooked !== false && j.seconds !== undefined));
    const stepsFloor = hooked.reduce((a, j) => a + j.seconds!, 0);
    const phases = Object.fromEntries(results.get("Where Job Time Goes")![0]!.range!.map((s) => [s.metric.phase!, secondsUnder(s)]));
    expect(Object.keys(phases).sort()).toEqual(["cleanup", "setup", "steps"]);
    // A rate over 4 scrapes summed over 1 s steps, as for Jobs per Hour: within a fraction of the truth.
    expect(phases.steps).toBeGreaterThan(0.75 * stepsFloor);
    expect(phases.steps).toBeLessThan(1.3 * (stepsFloor + hooked.length * HOOK_SECONDS));
    for (const phase of ["setup", "cleanup"]) {
      expect(phases[phase], phase).toBeGreaterThan(0);
      expect(phases[phase], phase).toBeLessThan(1.3 * hooked.length * HOOK_SECONDS);
    }
    row(
      "Where Job Time Goes",
      Object.entries(phases)
        .map(([p, v]) => `${p} ${v.toFixed(2)} s`)
        .join(", "),
      `steps >= ${stepsFloor} s (the sleeps of ${hooked.length} hooked jobs) plus up to ${HOOK_SECONDS} s each; setup and cleanup: the hooks' own time`,
    );

    // Utilization: each runner's busy seconds over the range are its jobs' sleeps (the unknown
    // job ran 2.5 s until the relaunched listener listened), plus e2e-standard's job in flight.
    const [utilizationByType, byRunner] = results.get("Utilization")!.map((t) => t.range!);
    const inFlightFor = (r: ScriptedRunner) =>
      r.jobInFlightAfter === undefined ? [0, 0] : [evaluatedAt - releaseSeenAtSeconds, evaluatedAt - (goAtSeconds + r.jobInFlightAfter)];
    const busyTruth = (r: ScriptedRunner) => {
      const sleeps = r.jobs.reduce((a, j) => a + (j.seconds ?? 2.5), 0);
      const hooks = r.jobs.filter((j) => j.hooked !== false).length * HOOK_SECONDS;
      const [low, high] = inFlightFor(r);
      return [sleeps + low!, sleeps + hooks + high!];
    };
    const busyShown = Object.fromEntries(byRunner!.map((s) => [s.metric.runner_name!, secondsUnder(s)]));
    expect(Object.keys(busyShown).sort()).toEqual(RUNNERS.map((r) => r.name).sort());
    for (const r of RUNNERS) {
      const [low, high] = busyTruth(r);
      expect(busyShown[r.name], r.name).toBeGreaterThan(0.85 * low!);
      expect(busyShown[r.name], r.name).toBeLessThan(1.15 * high! + 1);
      // Never more than busy the whole time, but for a render reused up to 0.1 s (REUSE_MS) seen
      // over a window of four 1 s scrapes.
      expect(Math.max(...finiteValues(byRunner!.filter((s) => s.metric.runner_name === r.name))), r.name).toBeLessThanOrEqual(1.05);
    }
    // One runner per type: the type's average is that runner's series.
    for (const s of utilizationByType!) {
      const runner = RUNNERS.find((r) => r.type === s.metric.runner_type)!;
      expect(secondsUnder(s), runner.type).toBeCloseTo(busyShown[runner.name]!, 6);
    }
    row(
      "Utilization",
      Object.entries(busyShown)
        .map(([n, v]) => `${n} ${v.toFixed(1)} busy s`)
        .join(", "),
      RUNNERS.map(
        (r) =>
          `${r.name} ${busyTruth(r)
            .map((v) => v.toFixed(1))
            .join("..")} s`,
      ).join(", "),
    );

    // Job resources (docs/JOB_RESOURCES.md). The supervisors here run on the test machine, not in
    // containers of their own: their cgroup is the machine's (every process's CPU and memory, no
    // limits), so only what holds for any cgroup is checked, with the causes and the job in flight.
    const [cpu50, cpu95] = results.get("CPU per Job")!.map((t) => finiteValues(t.range));
    expect(cpu50!.length).toBeGreaterThan(0);
    expect([...cpu50!, ...cpu95!].every((v) => v >= 0)).toBe(true);
    row(
      "CPU per Job",
      `p50 up to ${Math.max(...cpu50!).toFixed(2)} s, p95 up to ${Math.max(...cpu95!).toFixed(2)} s`,
      "present where jobs ended (the machine's CPU here)",
    );

    const [coresUsed, cpuLimit] = results.get("Cores Used by Jobs vs CPU Limit")!.map((t) => finiteValues(t.range));
    const cores = availableParallelism();
    expect(coresUsed!.length).toBeGreaterThan(0);
    expect(coresUsed!.every((v) => v >= 0)).toBe(true);
    // Over all jobs, CPU seconds over job seconds can be no more than the machine's cores. (One
    // window's value can: a job's CPU is counted a moment after its duration, once its end
    // snapshot is read, so a scrape between the two puts them in different windows.)
    const [overall] = await prometheus!.query(
      `sum(github_runner_job_cpu_seconds_sum) / sum(github_runner_job_duration_seconds_sum)`,
      evaluatedAt,
    );
    expect(overall!.value).toBeGreaterThan(0);
    expect(overall!.value).toBeLessThanOrEqual(cores * 1.05);
    expect(cpuLimit!.every((v) => v > 0)).toBe(true);
    row(
      "Cores Used by Jobs vs CPU Limit",
      `${overall!.value.toFixed(2)} cores over all jobs; ${cpuLimit!.length ? "a limit" : "no limit"}`,
      `at most the machine's ${cores} cores`,
    );

    const [mem50, mem95, memLimit] = results.get("Peak Memory per Job vs Memory Limit")!.map((t) => finiteValues(t.range));
    expect(mem50!.length).toBeGreaterThan(0);
    expect([...mem50!, ...mem95!].every((v) => v > 0)).toBe(true);
    expect(memLimit!.every((v) => v > 0)).toBe(true);
    row("Peak Memory per Job vs Memory Limit", `p50 up to ${(Math.max(...mem50!) / 2 ** 20).toFixed(0)} MiB`, "present where jobs ended");

    // Causes: Failed is job_failed, Canceled cancelled, the job without a result runner_lost (no
    // stop reached any runner); counted about once each, as Jobs per Hour.
    const perCause = Object.fromEntries(results.get("Why Jobs Did Not Succeed")![0]!.range!.map((x) => [x.metric.cause!, jobsUnder(x)]));
    const failures = truth.byStatus.failed + truth.byStatus.cancelled + truth.byStatus.unknown + truth.byStatus.abandoned;
    const failuresFromRate = Object.values(perCause).reduce((a, b) => a + b, 0);
    expect(failuresFromRate).toBeGreaterThan(0.6 * failures);
    expect(failuresFromRate).toBeLessThan(1.5 * failures);
    for (const cause of ["oom_killed", "runner_stopped", "abandoned"]) expect(perCause[cause] ?? 0, cause).toBe(0);
    expect(perCause.job_failed).toBeGreaterThan(0.6 * truth.byStatus.failed);
    expect(perCause.runner_lost).toBeGreaterThan(0.6 * truth.byStatus.unknown);
    row(
      "Why Jobs Did Not Succeed",
      Object.entries(perCause)
        .filter(([, v]) => v > 0)
        .map(([c, v]) => `${c} ${v.toFixed(2)}`)
        .join(", "),
      `job_failed ${truth.byStatus.failed}, cancelled ${truth.byStatus.cancelled}, runner_lost ${truth.byStatus.unknown}`,
    );

    const oomKills = single(results, "OOM Kills During Jobs");
    expect(oomKills).toBe(0);
    row("OOM Kills During Jobs", String(oomKills), "0");

    // The one job in flight (e2e-standard's release notes) ran no hook; every hooked job has ended
    // and taken its series with it: no row.
    const jobRows = results.get("Job in Flight per Runner")![0]!.instant!;
    expect(jobRows).toEqual([]);
    row("Job in Flight per Runner", `${jobRows.length} rows`, "none: the job in flight ran no hook, the hooked ones ended");

    // Every panel of the dashboard was checked here.
    expect([...checked].sort()).toEqual(panels.map((p) => p.title).sort());
  });

  it("filters by runner type, one and several", async () => {
    for (const types of [["chrome"], ["standard", "chrome-go"]]) {
      const results = await evaluateDashboard("All", types);
      const truth = truthFor(runnersOf((r) => types.includes(r.type)));
      expect(byLabel(results.get("Runner Status Overview")![0]!.instant!, "runner_name")).toEqual(truth.statusByRunner);
      expect(single(results, "Active Runners")).toBe(truth.online);
      expect(single(results, "Busy Runners")).toBe(truth.busy);
      expect(Math.round(single(results, "Total Jobs Executed")!)).toBe(truth.totalJobs);
      expect(Math.abs(single(results, "Job Success Rate")! - truth.successRate!)).toBeLessThan(0.01);
      const distribution = byLabel(results.get("Job Status Distribution")![0]!.instant!, "status");
      for (const [status, n] of Object.entries(truth.byStatus)) expect(Math.round(distribution[status]!), status).toBe(n);
      const uptime = results.get("Runner Uptime")![0]!.instant!;
      expect(uptime.map((s) => s.metric.runner_type).sort()).toEqual([...types].sort());
      report.push([
        `(runner_type=${types.join("|")}) Total Jobs / Success Rate / Active`,
        `${Math.round(single(results, "Total Jobs Executed")!)} / ${pct(single(results, "Job Success Rate"))} / ${single(results, "Active Runners")}`,
        `${truth.totalJobs} / ${pct(truth.successRate)} / ${truth.online}`,
      ]);
    }
  });

  it("filters by runner name", async () => {
    const results = await evaluateDashboard(["e2e-standard"], "All");
    const truth = truthFor(runnersOf((r) => r.name === "e2e-standard"));
    expect(byLabel(results.get("Runner Status Overview")![0]!.instant!, "runner_name")).toEqual(truth.statusByRunner);
    expect(Math.round(single(results, "Total Jobs Executed")!)).toBe(truth.totalJobs);
    expect(Math.abs(single(results, "Job Success Rate")! - truth.successRate!)).toBeLessThan(0.01);
    expect(single(results, "Change Failure Rate (failed deploy jobs)")).toBe(truth.deploys.changeFailureRate);
    expect(single(results, "Busy Runners")).toBe(1);
    report.push([
      `(runner_name=e2e-standard) Total Jobs / Success Rate / CFR`,
      `${Math.round(single(results, "Total Jobs Executed")!)} / ${pct(single(results, "Job Success Rate"))} / ${pct(single(results, "Change Failure Rate (failed deploy jobs)"))}`,
      `${truth.totalJobs} / ${pct(truth.successRate)} / ${pct(truth.deploys.changeFailureRate)}`,
    ]);

    // chrome is idle: its longest job in flight is No data, not 0.
    const idle = await evaluateDashboard(["e2e-chrome"], "All");
    expect(idle.get("Longest Job in Flight")![0]!.instant).toEqual([]);
  });

  it("fills the variables the way Grafana's label_values() does", async () => {
    const [typeVar, nameVar] = ["runner_type", "runner_name"].map((n) => dashboard.templating.list.find((v) => v.name === n)!);
    const parse = (q: unknown) => /^label_values\((.*),\s*(\w+)\)$/.exec(String(q))!;
    const [, typeMatch, typeLabel] = parse(typeVar!.query);
    const types = await prometheus!.labelValues(typeLabel!, typeMatch!, evaluatedAt - RANGE_SECONDS, evaluatedAt);
    expect(types.sort()).toEqual(RUNNERS.map((r) => r.type).sort());
    const [, nameMatch, nameLabel] = parse(nameVar!.query);
    const o = {
      runner_name: "All",
      runner_type: ["chrome"],
      rangeSeconds: RANGE_SECONDS,
      intervalSeconds: 1,
      scrapeIntervalSeconds: 1,
    } as const;
    const names = await prometheus!.labelValues(
      nameLabel!,
      interpolate(dashboard, nameMatch!, o),
      evaluatedAt - RANGE_SECONDS,
      evaluatedAt,
    );
    expect(names).toEqual(["e2e-chrome"]);
    expect(rateIntervalSeconds(o)).toBe(4);
    report.push([
      "(variables) runner_type / runner_name with type=chrome",
      `${types.join(", ")} / ${names.join(", ")}`,
      `${RUNNERS.map((r) => r.type)
        .sort()
        .join(", ")} / e2e-chrome`,
    ]);
  });

  it("fires the example alert rules on the same data", async () => {
    const alerts = await prometheus!.alerts();
    const of = (name: string) => alerts.filter((a) => a.labels.alertname === name).map((a) => `${a.labels.runner_name}:${a.state}`);
    // The unknown job fires at once; offline waits for its 5 minutes (pending).
    expect(of("RunnerJobsLostResult")).toEqual(["e2e-chrome-go:firing"]);
    expect(of("RunnerOffline")).toEqual(["e2e-chrome-go:pending"]);
    expect(of("RunnerJobFailureRateHigh")).toEqual([]);
    report.push([
      "(alerts) RunnerJobsLostResult / RunnerOffline",
      `${of("RunnerJobsLostResult").join(", ")} / ${of("RunnerOffline").join(", ")}`,
      "e2e-chrome-go:firing / e2e-chrome-go:pending",
    ]);
  });

  afterAll(() => {
    if (report.length === 0) return;
    const widths = [0, 1, 2].map((i) => Math.max(...report.map((r) => r[i]!.length), 5));
    const line = (r: string[]) => r.map((c, i) => c.padEnd(widths[i]!)).join(" | ");
    console.log(["Panel | shown by Prometheus | scripted truth", ...report.map(line)].join("\n"));
  });
});
