// Static checks of the dashboard, after grafana/dashboard-linter's rules, plus what file
// provisioning and the import dialog need. PromQL validity is judged by Prometheus's own parser.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { ROOT } from "../../helpers/index.js";
import { allPanels, DASHBOARD_PATH, interpolate, loadDashboard, loadFleetDashboard, type Panel } from "./dashboard.js";
import { lintQuery, selectors } from "./promql-lint.js";
import { promtool } from "./promtool.js";

const raw = readFileSync(DASHBOARD_PATH, "utf8");
const dashboard = loadDashboard();
const panels = allPanels(dashboard);
const targets = panels.flatMap((p) => (p.targets ?? []).map((t) => ({ panel: p, target: t })));
const DS_REF = { type: "prometheus", uid: "${datasource}" };
const FILTERS = ['runner_name=~"$runner_name"', 'runner_type=~"$runner_type"'];
const scratch = mkdtempSync(join(tmpdir(), "dashboard-static-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

const panelByTitle = (title: string): Panel => {
  const p = panels.find((x) => x.title === title || x.title.startsWith(`${title} (`));
  if (!p) throw new Error(`no panel titled ${title}`);
  return p;
};

describe("dashboard file", () => {
  it("is a bare dashboard with a stable uid, loadable by file provisioning", () => {
    const top = JSON.parse(raw) as Record<string, unknown>;
    expect(top.dashboard, "not wrapped as {dashboard: ...}").toBeUndefined();
    expect(dashboard.uid).toBe("runner-supervisor-runners");
    expect(dashboard.id).toBeNull();
    expect(dashboard.title).toBe("GitHub Actions Runners");
    // 36: the schema Grafana 8.5 writes (and 9.0), with datasource references as {type, uid} objects.
    expect(dashboard.schemaVersion).toBe(36);
    // ${DS_...} placeholders only work through the import dialog; provisioning fails on them.
    expect(raw).not.toMatch(/\$\{DS_/);
    expect(top.__inputs).toBeUndefined();
    expect(new Set(panels.map((p) => p.id)).size).toBe(panels.length);
  });

  it("has the panels the issue asks for, of the right types", () => {
    const wanted: [string, string][] = [
      ["Runner Status Overview", "stat"],
      ["Total Jobs Executed", "stat"],
      ["Job Success Rate", "gauge"],
      ["Jobs per Hour", "timeseries"],
      ["Runner Uptime", "table"],
      ["Job Status Distribution", "piechart"],
      ["Deployment Frequency", "stat"],
      ["Lead Time for Changes", "gauge"],
      ["Change Failure Rate", "gauge"],
      ["Job Duration Trends", "timeseries"],
      ["Cache Hit Rates", "timeseries"],
      ["Active Runners", "stat"],
      ["Time to Restore", "stat"],
      ["Queue Time", "timeseries"],
      ["Supervisor Overhead", "timeseries"],
      ["Where Job Time Goes", "timeseries"],
      ["Utilization", "timeseries"],
      ["Idle Capacity", "timeseries"],
    ];
    for (const [title, type] of wanted) expect(panelByTitle(title).type, title).toBe(type);
    expect(panels.length).toBeGreaterThanOrEqual(12);
  });

  it("colours the success rate and change failure rate gauges as asked", () => {
    const steps = (title: string) => panelByTitle(title).fieldConfig!.defaults!.thresholds!.steps.map((s) => [s.value, s.color]);
    expect(steps("Job Success Rate")).toEqual([
      [null, "red"],
      [0.8, "yellow"],
      [0.95, "green"],
    ]);
    expect(steps("Change Failure Rate")).toEqual([
      [null, "green"],
      [0.05, "yellow"],
      [0.15, "red"],
    ]);
    expect(panelByTitle("Job Success Rate").fieldConfig!.defaults!.unit).toBe("percentunit");
    expect(panelByTitle("Lead Time for Changes").fieldConfig!.defaults!.unit).toBe("m");
    expect(panelByTitle("Runner Uptime").fieldConfig!.defaults!.unit).toBe("h");
  });

  it("measures the four DORA keys from the deploy metrics, each titled for what it measures", () => {
    const uses: [string, string, string][] = [
      ["Deployment Frequency", "github_runner_deployments_total", "successful deploy jobs"],
      ["Lead Time for Changes", "github_runner_deploy_lead_time_seconds", "commit to deploy job end"],
      ["Change Failure Rate", "github_runner_deployments_total", "failed deploy jobs"],
      ["Time to Restore", "github_runner_deploy_recovery_time_seconds", "failed deploy to next successful deploy"],
    ];
    for (const [title, metric, measure] of uses) {
      const p = panelByTitle(title);
      expect(p.title, title).toBe(`${title} (${measure})`);
      for (const t of p.targets ?? []) expect(t.expr, title).toContain(metric);
      // None of them is read from all jobs any more: the seed's proxies are gone.
      for (const t of p.targets ?? []) expect(t.expr, title).not.toMatch(/github_runner_jobs_total|github_runner_job_duration_seconds/);
      expect(p.description!.toLowerCase(), title).toMatch(/deploy/);
    }
  });

  it("shows queue time p50 and p95 from its histogram", () => {
    const exprs = (panelByTitle("Queue Time").targets ?? []).map((t) => t.expr);
    expect(exprs.some((e) => e.startsWith("histogram_quantile(0.5,") && e.includes("github_runner_job_queue_time_seconds_bucket"))).toBe(
      true,
    );
    expect(exprs.some((e) => e.startsWith("histogram_quantile(0.95,") && e.includes("github_runner_job_queue_time_seconds_bucket"))).toBe(
      true,
    );
  });

  it("counts whole jobs in its stat panels", () => {
    for (const title of ["Total Jobs Executed", "Deployment Frequency", "Job Status Distribution"]) {
      for (const t of panelByTitle(title).targets ?? []) expect(t.expr, title).toMatch(/^round\(/);
    }
  });

  it("shows the supervisor's own memory and CPU per runner, never another program's process_* series", () => {
    const exprs = (panelByTitle("Supervisor Overhead").targets ?? []).map((t) => t.expr);
    expect(exprs[0]).toMatch(/^sum by \(runner_name\) \(process_resident_memory_bytes\{.*runner_name!=""\}\)$/);
    expect(exprs[1]).toMatch(/^sum by \(runner_name\) \(rate\(process_cpu_seconds_total\{.*runner_name!=""\}\[\$__rate_interval\]\)\)$/);
  });

  it("stacks job time by phase, and shows utilization and idle capacity per runner type", () => {
    expect((panelByTitle("Where Job Time Goes").targets ?? [])[0]!.expr).toMatch(
      /^sum by \(phase\) \(rate\(github_runner_job_phase_duration_seconds_sum\{/,
    );
    const utilization = (panelByTitle("Utilization").targets ?? []).map((t) => t.expr);
    expect(utilization.some((e) => e.startsWith("avg by (runner_type) (rate(github_runner_busy_seconds_total{"))).toBe(true);
    expect((panelByTitle("Idle Capacity").targets ?? [])[0]!.expr).toMatch(
      /^sum by \(runner_type\) \(clamp_min\(github_runner_status\{.*\} - github_runner_busy\{.*\}, 0\)\)$/,
    );
  });

  it("shows p50 and p95 from the job duration histogram", () => {
    const exprs = (panelByTitle("Job Duration Trends").targets ?? []).map((t) => t.expr);
    expect(exprs.some((e) => e.startsWith("histogram_quantile(0.5,") && e.includes("github_runner_job_duration_seconds_bucket"))).toBe(
      true,
    );
    expect(exprs.some((e) => e.startsWith("histogram_quantile(0.95,") && e.includes("github_runner_job_duration_seconds_bucket"))).toBe(
      true,
    );
  });
});

describe("dashboard-linter rules", () => {
  it("has one datasource variable, of type datasource for Prometheus", () => {
    const ds = dashboard.templating.list.filter((v) => v.type === "datasource");
    expect(ds).toHaveLength(1);
    expect(ds[0]!.name).toBe("datasource");
    expect(ds[0]!.query).toBe("prometheus");
  });

  it("points every panel, target and query variable at that variable", () => {
    for (const p of panels) expect(p.datasource, p.title).toEqual(DS_REF);
    for (const { panel, target } of targets) expect(target.datasource, `${panel.title} ${target.refId}`).toEqual(DS_REF);
    for (const v of dashboard.templating.list.filter((x) => x.type === "query")) expect(v.datasource, v.name).toEqual(DS_REF);
  });

  it("offers runner_name and runner_type, multi-select with All, from github_runner_info", () => {
    const byName = new Map(dashboard.templating.list.map((v) => [v.name, v]));
    for (const name of ["runner_type", "runner_name"]) {
      const v = byName.get(name)!;
      expect(v.type).toBe("query");
      expect(v.multi).toBe(true);
      expect(v.includeAll).toBe(true);
      expect(String(v.query)).toMatch(new RegExp(`^label_values\\(github_runner_info(\\{.*\\})?, ${name}\\)$`));
    }
    // Names follow the chosen types.
    expect(String(byName.get("runner_name")!.query)).toContain('runner_type=~"$runner_type"');
  });

  it("gives every panel a title, a description and a unit", () => {
    for (const p of panels) {
      expect(p.title.trim().length, `panel ${p.id}`).toBeGreaterThan(0);
      expect(p.description?.trim().length ?? 0, p.title).toBeGreaterThan(20);
      expect(p.fieldConfig?.defaults?.unit?.length ?? 0, p.title).toBeGreaterThan(0);
      expect(p.targets?.length ?? 0, p.title).toBeGreaterThan(0);
    }
  });

  it("reads counters only through rate/irate/increase, with $__rate_interval or $__range, filtered by both variables", () => {
    for (const { panel, target } of targets)
      expect(lintQuery(target.expr, FILTERS), `${panel.title} ${target.refId}: ${target.expr}`).toEqual([]);
    expect(raw).not.toContain('status="total"');
  });

  it("has only queries that Prometheus itself parses (promtool check rules)", () => {
    // Each query, variables substituted as Grafana would, becomes a recording rule: promtool
    // parses every expression with Prometheus's own PromQL parser.
    const rules = targets.map(({ panel, target }) => ({
      record: `dashboard:panel_${panel.id}_${target.refId}`,
      expr: interpolate(dashboard, target.expr, {
        runner_name: ["runner-1", "runner.2"],
        runner_type: "All",
        rangeSeconds: 21600,
        intervalSeconds: 15,
        scrapeIntervalSeconds: 15,
      }),
    }));
    const file = join(scratch, "dashboard-queries.yml");
    writeFileSync(file, JSON.stringify({ groups: [{ name: "dashboard", rules }] }));
    const run = promtool("check", "rules", file);
    expect(run.code, run.output).toBe(0);
    expect(run.output).toContain(`SUCCESS: ${rules.length} rules found`);
  });
});

describe("the linter helpers themselves", () => {
  it("flag the seed's mistakes", () => {
    const f = 'runner_name=~"$runner_name", runner_type=~"$runner_type"';
    expect(lintQuery(`sum(github_runner_jobs_total{${f}})`, FILTERS)).toEqual([
      "counter github_runner_jobs_total is read outside rate(), irate() or increase()",
    ]);
    expect(lintQuery(`sum(rate(github_runner_jobs_total{${f}}[5m]))`, FILTERS)).toEqual([
      "rate(github_runner_jobs_total[5m]) does not use $__rate_interval",
    ]);
    expect(lintQuery(`sum(increase(github_runner_jobs_total{status="total", ${f}}[$__range]))`, FILTERS)).toEqual([
      'github_runner_jobs_total selects status="total"',
    ]);
    expect(lintQuery("sum(github_runner_status)", FILTERS)).toEqual([
      'github_runner_status lacks the matcher runner_name=~"$runner_name"',
      'github_runner_status lacks the matcher runner_type=~"$runner_type"',
    ]);
    expect(lintQuery(`histogram_quantile(0.9, sum by (le) (github_runner_job_duration_seconds_bucket{${f}}))`, FILTERS)).toHaveLength(1);
  });

  it("pass correct queries and see through by (...) lists and strings", () => {
    const f = 'runner_name=~"$runner_name", runner_type=~"$runner_type"';
    expect(lintQuery(`sum by (status) (rate(github_runner_jobs_total{${f}}[$__rate_interval])) * 3600`, FILTERS)).toEqual([]);
    const s = selectors(`max by (runner_name) (time() - github_runner_start_time_seconds{status="a,b}", ${f}})`);
    expect(s.map((x) => [x.metric, x.enclosingFunction, x.matchers.length])).toEqual([["github_runner_start_time_seconds", "max", 3]]);
  });

  it("read Grafana variables standing for numbers as literals, not metrics", () => {
    const s = selectors('sum by (status) (sum_over_time(x:y:z{runner_type=~"$runner_type"}[$__interval])) * 3600000 / $__interval_ms');
    expect(s.map((x) => [x.metric, x.range, x.enclosingFunction])).toEqual([["x:y:z", "$__interval", "sum_over_time"]]);
  });

  it("Prometheus rejects a broken query (the parse check can fail)", () => {
    const file = join(scratch, "broken.yml");
    writeFileSync(file, JSON.stringify({ groups: [{ name: "g", rules: [{ record: "x:y", expr: "sum(rate(x[$__rate_interval]))" }] }] }));
    expect(promtool("check", "rules", file).code).not.toBe(0);
  });
});

describe("Grafana provisioning files", () => {
  it("define the Prometheus datasource with uid prometheus at http://prometheus:9090", () => {
    const doc = parse(readFileSync(join(ROOT, "grafana", "provisioning", "datasources", "prometheus.yml"), "utf8")) as {
      apiVersion: number;
      datasources: { type: string; uid: string; url: string; jsonData?: { timeInterval?: string } }[];
    };
    expect(doc.apiVersion).toBe(1);
    expect(doc.datasources).toHaveLength(1);
    expect(doc.datasources[0]).toMatchObject({ type: "prometheus", uid: "prometheus", url: "http://prometheus:9090" });
    // Grafana's $__rate_interval is only right when it knows the scrape interval.
    const compose = parse(readFileSync(join(ROOT, "compose", "prometheus", "prometheus.yml"), "utf8")) as {
      global: { scrape_interval: string };
    };
    expect(doc.datasources[0]!.jsonData?.timeInterval).toBe(compose.global.scrape_interval);
  });

  it("load dashboards from /var/lib/grafana/dashboards with a file provider", () => {
    const doc = parse(readFileSync(join(ROOT, "grafana", "provisioning", "dashboards", "runner-supervisor.yml"), "utf8")) as {
      apiVersion: number;
      providers: { type: string; options: { path: string } }[];
    };
    expect(doc.apiVersion).toBe(1);
    expect(doc.providers[0]).toMatchObject({ type: "file", options: { path: "/var/lib/grafana/dashboards" } });
  });
});

describe("the guides", () => {
  it("describe every panel of the dashboard and every example alert", () => {
    const grafanaGuide = readFileSync(join(ROOT, "docs", "GRAFANA_DASHBOARD_SETUP.md"), "utf8");
    for (const p of [...panels, ...allPanels(loadFleetDashboard())]) expect(grafanaGuide, p.title).toContain(`**${p.title}**`);
    const prometheusGuide = readFileSync(join(ROOT, "docs", "PROMETHEUS_INTEGRATION.md"), "utf8");
    const alerts = (
      parse(readFileSync(join(ROOT, "compose", "prometheus", "alerts.yml"), "utf8")) as { groups: { rules: { alert: string }[] }[] }
    ).groups.flatMap((g) => g.rules);
    for (const a of alerts) expect(prometheusGuide, a.alert).toContain(`\`${a.alert}\``);
  });
});
