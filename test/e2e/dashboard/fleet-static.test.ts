// Static checks of the fleet dashboard and the recording rules it reads: it reads recorded series
// only through *_over_time windows that tile the time range, every series it reads is recorded by
// compose/prometheus/fleet-rules.yml, and every rule there is read. PromQL validity is judged by
// Prometheus's own parser (promtool).
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { ROOT } from "../../helpers/index.js";
import { allPanels, interpolate, loadDashboard, loadFleetDashboard } from "./dashboard.js";
import { isCounter, selectors } from "./promql-lint.js";
import { promtool } from "./promtool.js";

const fleet = loadFleetDashboard();
const panels = allPanels(fleet);
const targets = panels.flatMap((p) => (p.targets ?? []).map((t) => ({ panel: p, target: t })));
const RULES_FILE = join(ROOT, "compose", "prometheus", "fleet-rules.yml");
const rules = (
  parse(readFileSync(RULES_FILE, "utf8")) as { groups: { name: string; interval: string; rules: { record: string; expr: string }[] }[] }
).groups;
const recorded = new Set(rules.flatMap((g) => g.rules.map((r) => r.record)));
const TYPE_FILTER = 'runner_type=~"$runner_type"';
const WINDOW_FUNCTIONS = new Set(["sum_over_time", "avg_over_time", "min_over_time", "max_over_time"]);
const scratch = mkdtempSync(join(tmpdir(), "fleet-static-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe("fleet dashboard file", () => {
  it("is a bare dashboard of its own, with a stable uid and Grafana 8.5's schema", () => {
    expect(fleet.uid).toBe("runner-supervisor-fleet");
    expect(fleet.id).toBeNull();
    expect(fleet.schemaVersion).toBe(36);
    expect(fleet.uid).not.toBe(loadDashboard().uid);
    expect(new Set(panels.map((p) => p.id)).size).toBe(panels.length);
  });

  it("filters by runner type only: one datasource variable and runner_type from github_runner_info", () => {
    expect(fleet.templating.list.map((v) => [v.name, v.type])).toEqual([
      ["datasource", "datasource"],
      ["runner_type", "query"],
    ]);
    for (const { panel, target } of targets) expect(target.expr, `${panel.title} ${target.refId}`).not.toContain("$runner_name");
  });

  it("asks the same questions as the runners dashboard, new panels included", () => {
    const titles = panels.map((p) => p.title);
    for (const t of [
      "Jobs Finished",
      "Job Success Rate",
      "Jobs per Hour",
      "Job Duration Trends",
      "Job Status Distribution",
      "Queue Time",
      "Connection Problems and Relaunches",
      "Cache Hit Rates",
      "Utilization",
      "Idle Capacity",
      "Where Job Time Goes",
      "Supervisor Overhead",
      "Deployment Frequency (successful deploy jobs)",
      "Lead Time for Changes (commit to deploy job end)",
      "Change Failure Rate (failed deploy jobs)",
      "Time to Restore (failed deploy to next successful deploy)",
    ]) {
      expect(titles).toContain(t);
    }
  });
});

describe("fleet dashboard queries", () => {
  it("carry the runner_type matcher on every selector", () => {
    for (const { panel, target } of targets) {
      for (const s of selectors(target.expr)) expect(s.matchers, `${panel.title}: ${s.metric}`).toContain(TYPE_FILTER);
    }
  });

  it("read recorded series only through *_over_time windows of $__interval or $__range, and only series the rules record", () => {
    for (const { panel, target } of targets) {
      for (const s of selectors(target.expr)) {
        if (!s.metric.includes(":")) continue;
        expect(recorded.has(s.metric), `${panel.title}: ${s.metric} is recorded by fleet-rules.yml`).toBe(true);
        expect(WINDOW_FUNCTIONS.has(s.enclosingFunction ?? ""), `${panel.title}: ${s.metric} in ${s.enclosingFunction}`).toBe(true);
        expect(["$__interval", "$__range"], `${panel.title}: ${s.metric}[${s.range}]`).toContain(s.range);
      }
    }
  });

  it("read the runners' own series only as instant gauges (one sample per runner)", () => {
    for (const { panel, target } of targets) {
      for (const s of selectors(target.expr).filter((x) => !x.metric.includes(":"))) {
        expect(isCounter(s.metric), `${panel.title}: ${s.metric}`).toBe(false);
        expect(s.range, `${panel.title}: ${s.metric}`).toBeUndefined();
        expect(target.instant, `${panel.title}: ${s.metric} in an instant query`).toBe(true);
      }
    }
  });

  it("never let $__interval fall under the rules' one minute (windows would miss or repeat increments)", () => {
    const minute = rules.find((g) => g.name === "runner-supervisor-fleet")!.interval;
    expect(minute).toBe("1m");
    for (const p of panels) {
      const usesInterval = (p.targets ?? []).some((t) => t.expr.includes("$__interval"));
      if (usesInterval) expect(p.interval, p.title).toBe(minute);
    }
  });

  it("use every recorded series (no rule without a reader)", () => {
    const read = new Set(targets.flatMap(({ target }) => selectors(target.expr).map((s) => s.metric)));
    for (const r of recorded) expect(read.has(r), r).toBe(true);
  });

  it("are parsed by Prometheus (promtool check rules), variables substituted as Grafana would", () => {
    const exprs = targets.map(({ panel, target }) => ({
      record: `fleet:panel_${panel.id}_${target.refId}`,
      expr: interpolate(fleet, target.expr, {
        runner_type: ["standard", "chrome-go"],
        rangeSeconds: 86_400,
        intervalSeconds: 60,
        scrapeIntervalSeconds: 15,
      }),
    }));
    const file = join(scratch, "fleet-queries.yml");
    writeFileSync(file, JSON.stringify({ groups: [{ name: "fleet", rules: exprs }] }));
    const run = promtool("check", "rules", file);
    expect(run.code, run.output).toBe(0);
    expect(run.output).toContain(`SUCCESS: ${exprs.length} rules found`);
  });
});

describe("fleet recording rules", () => {
  it("record per runner type, once a minute, exact increments of every counter the fleet dashboard reads", () => {
    for (const g of rules) {
      for (const r of g.rules) {
        expect(r.record.startsWith("runner_type:"), r.record).toBe(true);
        expect(r.expr, r.record).toMatch(/^(sum|max) by \(runner_type[,)]/);
        if (!r.record.endsWith(":increments1m")) continue;
        // The exact increment of one counter c (with its matchers), in the one form the fleet bench mirrors.
        const c = /\(\s*(\w+(?:\{[^}]*\})?) offset 1m - /.exec(r.expr)?.[1];
        expect(c, r.record).toBeDefined();
        expect(isCounter(/^\w+/.exec(c!)![0]), r.record).toBe(true);
        const canonical = `(${c} offset 1m - ${c} offset 2m >= 0) or (${c} offset 1m + clamp_min(max_over_time(${c}[1m] offset 1m) - ${c} offset 2m, 0)) or (${c} offset 1m + 0)`;
        expect(r.expr.replace(/\s+/g, " "), r.record).toContain(canonical);
      }
    }
  });
});
