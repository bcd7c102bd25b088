// The Queue Time panels of both dashboards, evaluated by Prometheus's own engine (promtool test
// rules): without a token the supervisor exposes the queue-time buckets at their pre-seeded 0,
// and the panels must say No data there, not NaN; once a job's queue time arrives they show it.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { allPanels, interpolate, loadDashboard, loadFleetDashboard, type Dashboard, type Interpolation } from "./dashboard.js";
import { promtool } from "./promtool.js";

const scratch = mkdtempSync(join(tmpdir(), "queue-time-panel-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

const LE = ["1", "5", "10", "30", "60", "120", "300", "600", "1800", "3600", "7200", "21600", "+Inf"];
/** One job that waited 42 s: bucket (30, 60]. */
const WAITED_42_S = (le: string) => le !== "+Inf" && Number(le) < 60;

/** The Queue Time panel's queries, as Grafana sends them for this selection. */
function queueTimeQueries(d: Dashboard, o: Interpolation): { legend: string; expr: string }[] {
  const panel = allPanels(d).find((p) => p.title === "Queue Time")!;
  expect(panel.targets).toHaveLength(2);
  return panel.targets!.map((t) => ({ legend: t.legendFormat!, expr: interpolate(d, t.expr, o) }));
}

interface ExprTest {
  expr: string;
  eval_time: string;
  exp_samples: { labels: string; value: number }[];
}

/** Runs promtool's unit tests of expressions over these input series; returns its exit code and output. */
function evaluate(name: string, series: { series: string; values: string }[], tests: ExprTest[]) {
  const file = join(scratch, `${name}.yml`);
  writeFileSync(
    file,
    stringify({ rule_files: [], evaluation_interval: "1m", tests: [{ interval: "1m", input_series: series, promql_expr_test: tests }] }),
  );
  return promtool("test", "rules", file);
}

/** Quantiles of one 42 s wait, interpolated inside its bucket (30, 60] as histogram_quantile does. */
const QUANTILE_OF_ONE_42_S_WAIT: Record<string, number> = { p50: 30 + 30 * 0.5, p95: 30 + 30 * 0.95 };

describe("the Queue Time panels", () => {
  it("runners dashboard: No data over the pre-seeded zeros, the quantiles once a job's queue time arrives", () => {
    const queries = queueTimeQueries(loadDashboard(), {
      runner_name: "All",
      runner_type: "All",
      rangeSeconds: 3600,
      intervalSeconds: 60,
      scrapeIntervalSeconds: 60,
    });
    const labels = (le: string) => `runner_name="r1", runner_type="standard", le="${le}"`;
    // 20 minutes of zeros (no token), then one job that waited 42 s.
    const series = [
      ...LE.map((le) => ({
        series: `github_runner_job_queue_time_seconds_bucket{${labels(le)}}`,
        values: WAITED_42_S(le) ? "0x40" : "0x20 1x20",
      })),
      { series: 'github_runner_job_queue_time_seconds_count{runner_name="r1", runner_type="standard"}', values: "0x20 1x20" },
    ];
    const tests = queries.flatMap((q) => [
      { expr: q.expr, eval_time: "15m", exp_samples: [] },
      { expr: q.expr, eval_time: "22m", exp_samples: [{ labels: "{}", value: QUANTILE_OF_ONE_42_S_WAIT[q.legend]! }] },
    ]);
    const run = evaluate("runners", series, tests);
    expect(run.code, run.output).toBe(0);

    // Control: the same quantile without the guard shows NaN over the zeros, which Grafana would draw as a value.
    const unguarded = queries[0]!.expr.slice(0, queries[0]!.expr.indexOf(" and on() "));
    const control = evaluate("runners-unguarded", series, [{ expr: unguarded, eval_time: "15m", exp_samples: [] }]);
    expect(control.code).not.toBe(0);
    expect(control.output).toContain("NaN");
  });

  it("fleet dashboard: No data over recorded zeros, the quantiles in the interval a queue time was recorded", () => {
    const queries = queueTimeQueries(loadFleetDashboard(), {
      runner_type: "All",
      rangeSeconds: 86400,
      intervalSeconds: 60,
      scrapeIntervalSeconds: 60,
    });
    const series = LE.map((le) => ({
      series: `runner_type:github_runner_job_queue_time_seconds_bucket:increments1m{runner_type="standard", le="${le}"}`,
      values: WAITED_42_S(le) ? "0x40" : "0x20 1 0x19",
    }));
    const tests = queries.flatMap((q) => [
      { expr: q.expr, eval_time: "15m", exp_samples: [] },
      { expr: q.expr, eval_time: "21m", exp_samples: [{ labels: "{}", value: QUANTILE_OF_ONE_42_S_WAIT[q.legend]! }] },
      { expr: q.expr, eval_time: "23m", exp_samples: [] },
    ]);
    const run = evaluate("fleet", series, tests);
    expect(run.code, run.output).toBe(0);
  });
});
