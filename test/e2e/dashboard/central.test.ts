// A central Prometheus fed by a Prometheus agent (compose/prometheus/examples/agent.yml and
// central.yml): the agent scrapes three real supervisors running scripted jobs and remote-writes
// everything to the central Prometheus, which runs the fleet recording rules. Beside it, a
// Prometheus scrapes the same supervisors directly with the same rules. Every query of both
// dashboards must answer the same on the two: the same series, the same whole jobs and gauges,
// and rates that differ only by when each scraped.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { ROOT } from "../../helpers/index.js";
import { allPanels, interpolate, loadDashboard, loadFleetDashboard, type Dashboard, type Interpolation } from "./dashboard.js";
import { PrometheusServer, type InstantSample, type RangeSeries } from "./prometheus-server.js";
import { startScriptedFleet, type ScriptedFleet } from "./scripted-fleet.js";
import { RUNNERS, truthFor } from "./scripted-truth.js";

const SCRAPE_SECONDS = 1;
/** The range every panel is asked over. */
const RANGE_SECONDS = 120;
const PROM_DIR = join(ROOT, "compose", "prometheus");

/**
 * The fleet rules at test speed: evaluated every second over the second that ended 3 s earlier
 * (remote write delivers within that), instead of every minute over the minute that ended a minute earlier.
 */
function rulesAtTestSpeed(): string {
  const text = readFileSync(join(PROM_DIR, "fleet-rules.yml"), "utf8");
  const fast = text
    .replaceAll("interval: 1m", "interval: 1s")
    .replaceAll("offset 2m", "offset 4s")
    .replaceAll("offset 1m", "offset 3s")
    .replaceAll("[1m]", "[1s]");
  if (/\b[12]m\b/.test(fast.replace(/^\s*#.*$/gm, ""))) throw new Error("fleet-rules.yml has a duration the test does not scale");
  return fast;
}

interface AgentConfig {
  global: Record<string, unknown> & { external_labels: Record<string, string> };
  scrape_configs: { job_name: string; static_configs: { targets: string[] }[] }[];
  remote_write: { url: string; queue_config?: Record<string, unknown> }[];
}

let fleet: ScriptedFleet | undefined;
let direct: PrometheusServer | undefined;
let central: PrometheusServer | undefined;
let agent: PrometheusServer | undefined;
let workDir = "";
let evaluatedAt = 0;
let agentLabels: Record<string, string> = {};

beforeAll(async () => {
  workDir = mkdtempSync(join(tmpdir(), "central-"));
  fleet = await startScriptedFleet(workDir);
  const rules = join(workDir, "fleet-rules.yml");
  writeFileSync(rules, rulesAtTestSpeed());

  const directConfig = join(workDir, "direct.yml");
  writeFileSync(
    directConfig,
    JSON.stringify({
      global: { scrape_interval: `${SCRAPE_SECONDS}s`, scrape_timeout: "900ms", evaluation_interval: `${SCRAPE_SECONDS}s` },
      rule_files: [rules],
      scrape_configs: [{ job_name: "github-runners", static_configs: [{ targets: fleet.targets }] }],
    }),
  );
  direct = await PrometheusServer.start(directConfig, join(workDir, "direct"));

  // The central Prometheus as the example configures it, its rule files at test speed.
  const centralExample = parse(readFileSync(join(PROM_DIR, "examples", "central.yml"), "utf8")) as {
    global: Record<string, string>;
    rule_files: string[];
  };
  expect(centralExample.rule_files).toEqual(["../fleet-rules.yml", "../alerts.yml"]);
  const centralConfig = join(workDir, "central.yml");
  writeFileSync(
    centralConfig,
    JSON.stringify({ ...centralExample, global: { evaluation_interval: `${SCRAPE_SECONDS}s` }, rule_files: [rules] }),
  );
  central = await PrometheusServer.start(centralConfig, join(workDir, "central"), ["--web.enable-remote-write-receiver"]);

  // The agent as the example configures it: its targets, intervals and central address changed.
  const example = parse(readFileSync(join(PROM_DIR, "examples", "agent.yml"), "utf8")) as AgentConfig;
  agentLabels = example.global.external_labels;
  example.global = { ...example.global, scrape_interval: `${SCRAPE_SECONDS}s`, scrape_timeout: "900ms" };
  example.scrape_configs[0]!.static_configs = [{ targets: [...fleet.targets] }];
  example.remote_write[0]!.url = `${central.url}/api/v1/write`;
  example.remote_write[0]!.queue_config = { ...example.remote_write[0]!.queue_config, batch_send_deadline: "200ms" };
  const agentConfig = join(workDir, "agent.yml");
  writeFileSync(agentConfig, JSON.stringify(example));
  agent = await PrometheusServer.startAgent(agentConfig, join(workDir, "agent"));

  // Both have seen every runner idle for a few scrapes before the jobs start.
  const idle = (r: InstantSample[]) => r.length === RUNNERS.length && r.every((s) => s.value >= 5);
  const seen = 'count_over_time(github_runner_jobs_total{status="success"}[1m])';
  await direct.waitFor(seen, idle, 60_000);
  await central.waitFor(seen, idle, 60_000);
  fleet.go();

  const truth = truthFor(RUNNERS);
  for (const p of [direct, central]) {
    await p.waitFor("sum(github_runner_jobs_total)", (r) => r[0]?.value === truth.totalJobs, 90_000);
    await p.waitFor("sum(github_runner_deployments_total)", (r) => r[0]?.value === truth.deploys.success + truth.deploys.failed, 60_000);
  }
  // The rules record what ended 3 to 4 s before: wait until both have recorded every job, then
  // for a few more scrapes and records, so no record is still landing at the moment compared.
  // The script's last events: its jobs, its connection error and its relaunch.
  const recorded = (name: string) => `sum(sum_over_time(runner_type:${name}:increments1m[${RANGE_SECONDS}s]))`;
  const last: [string, number][] = [
    [recorded("github_runner_jobs"), truth.totalJobs],
    [recorded("github_runner_connection_errors"), truth.connectErrors],
    [recorded("github_runner_listener_relaunches"), truth.relaunchesRetryable],
  ];
  for (const p of [direct, central]) for (const [expr, value] of last) await p.waitFor(expr, (r) => r[0]?.value === value, 90_000);
  await new Promise((r) => setTimeout(r, 4_000));
  // A moment both have complete: the central Prometheus is up to a second behind.
  evaluatedAt = Math.floor(Date.now() / 1000) - 2;
}, 600_000);

afterAll(async () => {
  await fleet?.stop();
  await agent?.stop();
  await Promise.all([direct?.stop(), central?.stop()]);
  if (workDir) rmSync(workDir, { recursive: true, force: true });
});

const key = (m: Record<string, string>) => JSON.stringify(Object.entries(m).sort());

interface Answer {
  instant?: InstantSample[];
  range?: RangeSeries[];
}

async function ask(p: PrometheusServer, d: Dashboard, expr: string, instant: boolean): Promise<Answer> {
  const o: Interpolation = {
    runner_type: "All",
    rangeSeconds: RANGE_SECONDS,
    intervalSeconds: SCRAPE_SECONDS,
    scrapeIntervalSeconds: SCRAPE_SECONDS,
  };
  if (d.templating.list.some((v) => v.name === "runner_name")) o.runner_name = "All";
  const q = interpolate(d, expr, o);
  return instant
    ? { instant: await p.query(q, evaluatedAt) }
    : { range: await p.queryRange(q, evaluatedAt - RANGE_SECONDS, evaluatedAt, SCRAPE_SECONDS) };
}

const close = (a: number, b: number, relative: number) => Math.abs(a - b) <= relative * Math.max(Math.abs(a), Math.abs(b)) + 1e-9;
const area = (s: RangeSeries) => s.values.filter(([, v]) => Number.isFinite(v)).reduce((a, [, v]) => a + v, 0);

const report: string[][] = [];

/** Asks every target of a dashboard of both Prometheus servers and compares the answers. */
async function compareDashboard(d: Dashboard): Promise<void> {
  for (const panel of allPanels(d)) {
    for (const t of panel.targets ?? []) {
      const [a, b] = [await ask(direct!, d, t.expr, t.instant ?? false), await ask(central!, d, t.expr, t.instant ?? false)];
      const what = `${d.title} / ${panel.title} ${t.refId}`;
      if (t.instant) {
        const da = new Map(a.instant!.map((s) => [key(s.metric), s.value]));
        const db = new Map(b.instant!.map((s) => [key(s.metric), s.value]));
        expect([...db.keys()].sort(), `${what}: the same series`).toEqual([...da.keys()].sort());
        // Whole numbers (round(), recorded increments, gauges) must be equal; ratios of increase()
        // differ by how increase() extrapolates from each server's scrape times.
        const whole = t.expr.startsWith("round(") || t.expr.includes(":increments1m") || !/increase\(/.test(t.expr);
        for (const [k, v] of da)
          expect(close(db.get(k)!, v, whole ? 0 : 0.03), `${what} ${k}: direct ${v}, central ${db.get(k)}`).toBe(true);
        report.push([what, [...da.values()].map((v) => v.toFixed(2)).join(" "), [...db.values()].map((v) => v.toFixed(2)).join(" ")]);
      } else {
        const ra = new Map(a.range!.map((s) => [key(s.metric), s]));
        const rb = new Map(b.range!.map((s) => [key(s.metric), s]));
        expect([...rb.keys()].sort(), `${what}: the same series`).toEqual([...ra.keys()].sort());
        for (const [k, s] of ra) {
          const other = rb.get(k)!;
          // The same activity seen through other scrapes: each change of state may land a step or
          // two earlier or later, so allow a quarter of the area plus four steps at the series' peak.
          const peak = Math.max(...[...s.values, ...other.values].map(([, v]) => (Number.isFinite(v) ? Math.abs(v) : 0)));
          if (!t.expr.includes("process_"))
            expect(
              Math.abs(area(other) - area(s)) <= 0.25 * Math.max(area(s), area(other)) + 4 * peak,
              `${what} ${k}: area direct ${area(s)}, central ${area(other)}`,
            ).toBe(true);
          const last = (x: RangeSeries) => x.values.at(-1)?.[1];
          // The supervisors' own memory and CPU move between any two scrapes, and busy seconds while
          // a job runs: where a window holds such a move, each server's scrape times change the
          // last value, so only their series (and for busy seconds the area) are compared. So do
          // the jobs' CPU seconds and peak memory (sums and quantiles), where the supervisors share
          // the test machine's cgroup: a job's figure is every process's use during it, and each
          // window's few jobs differ widely.
          const moving = ["process_", "busy_seconds", "job_cpu_seconds", "job_memory_peak_bytes"].some((m) => t.expr.includes(m));
          if (!moving && Number.isFinite(last(s)) && Number.isFinite(last(other)))
            expect(close(last(other)!, last(s)!, 0.03), `${what} ${k}: last value, direct ${last(s)}, central ${last(other)}`).toBe(true);
        }
        report.push([
          what,
          `${ra.size} series, area ${[...ra.values()].map((x) => area(x).toFixed(1)).join(" ")}`,
          `${rb.size} series, area ${[...rb.values()].map((x) => area(x).toFixed(1)).join(" ")}`,
        ]);
      }
    }
  }
}

describe("a central Prometheus fed by a Prometheus agent", () => {
  it("receives every series the supervisors expose, with the agent's external label", async () => {
    const count = async (p: PrometheusServer) => (await p.query('count({__name__=~"github_runner_.*"})', evaluatedAt))[0]?.value;
    expect(await count(central!)).toBe(await count(direct!));
    const [info] = await central!.query("github_runner_info", evaluatedAt);
    expect(info!.metric).toMatchObject({ job: "github-runners", ...agentLabels });
    // The agent's own scrape health arrives too (the RunnerSupervisorDown alert reads it).
    expect((await central!.query('up{job="github-runners"}', evaluatedAt)).map((s) => s.value)).toEqual([1, 1, 1]);
  });

  it("answers every query of the runners dashboard as the direct scrape does", async () => {
    await compareDashboard(loadDashboard());
  });

  it("answers every query of the fleet dashboard as the direct scrape does, whole jobs as the script ran them", async () => {
    await compareDashboard(loadFleetDashboard());
    const truth = truthFor(RUNNERS);
    for (const p of [direct!, central!]) {
      const [jobs] = await p.query(`sum(sum_over_time(runner_type:github_runner_jobs:increments1m[${RANGE_SECONDS}s]))`, evaluatedAt);
      expect(jobs!.value).toBe(truth.totalJobs);
    }
  });

  afterAll(() => {
    if (report.length === 0) return;
    const widths = [0, 1, 2].map((i) => Math.max(...report.map((r) => r[i]!.length), 5));
    console.log(
      ["query | direct scrape | central (via agent)", ...report.map((r) => r.map((c, i) => c.padEnd(widths[i]!)).join(" | "))].join("\n"),
    );
  });
});
