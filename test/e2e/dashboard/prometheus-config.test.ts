// The Prometheus files the project ships: every example configuration passes
// `promtool check config`, and the alert rules pass `promtool check rules` and their unit tests.
import { copyFileSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { ROOT } from "../../helpers/index.js";
import { promtool } from "./promtool.js";

const PROM_DIR = join(ROOT, "compose", "prometheus");
const EXAMPLES = join(PROM_DIR, "examples");
const configs = [
  join(PROM_DIR, "prometheus.yml"),
  ...readdirSync(EXAMPLES)
    .filter((f) => f.endsWith(".yml"))
    .map((f) => join(EXAMPLES, f)),
];
const scratch = mkdtempSync(join(tmpdir(), "prometheus-config-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

// Debian builds Prometheus without Kubernetes service discovery, so its promtool rejects the
// kubernetes_sd_configs key itself. Everything else of such a file (relabelling, globals) is
// still checked, with the discovery block swapped for an empty static one.
const NO_KUBERNETES = "field kubernetes_sd_configs not found";

describe("example Prometheus configurations", () => {
  it("ships the compose configuration and static, HTTPS, file_sd, Kubernetes, agent and central examples", () => {
    expect(configs.map((c) => c.slice(PROM_DIR.length + 1)).sort()).toEqual(
      [
        "examples/agent.yml",
        "examples/central.yml",
        "examples/file-sd.yml",
        "examples/https.yml",
        "examples/kubernetes.yml",
        "examples/static.yml",
        "prometheus.yml",
      ].sort(),
    );
  });

  it("has an agent example that Prometheus accepts in agent mode (promtool check config --agent)", () => {
    const run = promtool("check", "config", "--agent", join(EXAMPLES, "agent.yml"));
    expect(run.code, run.output).toBe(0);
    expect(run.output).toContain("SUCCESS");
  });

  it.each(configs.map((c) => [c.slice(ROOT.length + 1), c]))("%s passes promtool check config", (_name, file) => {
    let run = promtool("check", "config", file);
    if (run.code !== 0 && run.output.includes(NO_KUBERNETES)) {
      const doc = parse(readFileSync(file, "utf8")) as { scrape_configs: Record<string, unknown>[] };
      for (const job of doc.scrape_configs) {
        expect(job.kubernetes_sd_configs, "a Kubernetes discovery block").toBeInstanceOf(Array);
        const sd = (job.kubernetes_sd_configs as { role?: string }[])[0]!;
        expect(["pod", "endpoints", "service", "node", "ingress", "endpointslice"]).toContain(sd.role);
        delete job.kubernetes_sd_configs;
        job.static_configs = [{ targets: [] }];
      }
      const copy = join(scratch, "kubernetes-without-sd.yml");
      writeFileSync(copy, JSON.stringify(doc));
      run = promtool("check", "config", copy);
    }
    expect(run.output).toContain("SUCCESS");
    expect(run.code, run.output).toBe(0);
  });

  it("scrapes the runners without target labels that shadow the exposed runner_name/runner_type", () => {
    for (const file of configs) {
      const text = readFileSync(file, "utf8");
      const doc = parse(text) as {
        scrape_configs: { relabel_configs?: { target_label?: string }[]; static_configs?: { labels?: object }[] }[];
      };
      for (const job of doc.scrape_configs) {
        for (const r of job.relabel_configs ?? []) expect(["runner_name", "runner_type"]).not.toContain(r.target_label);
        for (const s of job.static_configs ?? []) expect(Object.keys(s.labels ?? {})).not.toContain("runner_type");
      }
    }
    const targets = parse(readFileSync(join(EXAMPLES, "targets", "runners.yml"), "utf8")) as { labels?: object }[];
    for (const group of targets) expect(Object.keys(group.labels ?? {})).not.toContain("runner_type");
  });

  it("finds compose runners by the agreed Docker label (the scrape itself: docker-sd.test.ts)", () => {
    const doc = parse(readFileSync(join(PROM_DIR, "prometheus.yml"), "utf8")) as {
      rule_files: string[];
      scrape_configs: {
        job_name: string;
        docker_sd_configs?: { host: string; filters: { name: string; values: string[] }[] }[];
        relabel_configs: { source_labels?: string[]; regex?: string; action?: string }[];
      }[];
    };
    const job = doc.scrape_configs.find((j) => j.docker_sd_configs)!;
    expect(job.job_name).toBe("github-runners");
    expect(job.docker_sd_configs![0]!.host).toBe("unix:///var/run/docker.sock");
    expect(job.docker_sd_configs![0]!.filters).toEqual([{ name: "label", values: ["io.runner-supervisor.scrape=true"] }]);
    // Relative to the configuration file: /etc/prometheus/ in the container; the fleet rules feed the fleet dashboard.
    expect(doc.rule_files).toEqual(["alerts.yml", "fleet-rules.yml"]);
  });
});

describe("example alert rules", () => {
  it("pass promtool check rules", () => {
    const run = promtool("check", "rules", join(PROM_DIR, "alerts.yml"));
    expect(run.code, run.output).toBe(0);
    expect(run.output).toMatch(/SUCCESS: \d+ rules found/);
  });

  it("pass their unit tests (promtool test rules)", () => {
    const run = promtool("test", "rules", join(PROM_DIR, "alerts.test.yml"));
    expect(run.code, run.output).toBe(0);
    expect(run.output).toContain("SUCCESS");
  });

  it("cover the alerts operators expect, each with a severity, a summary and a unit test", () => {
    const rules = (
      parse(readFileSync(join(PROM_DIR, "alerts.yml"), "utf8")) as {
        groups: { rules: { alert: string; labels: { severity: string }; annotations: { summary: string; description: string } }[] }[];
      }
    ).groups.flatMap((g) => g.rules);
    const names = rules.map((r) => r.alert);
    for (const expected of ["RunnerSupervisorDown", "RunnerOffline", "RunnerJobFailureRateHigh", "RunnerBusyTooLong"])
      expect(names).toContain(expected);
    for (const r of rules) {
      expect(["critical", "warning", "info"]).toContain(r.labels.severity);
      expect(r.annotations.summary.length).toBeGreaterThan(0);
      expect(r.annotations.description.length).toBeGreaterThan(0);
    }
    const tested = readFileSync(join(PROM_DIR, "alerts.test.yml"), "utf8");
    for (const name of names) expect(tested, `${name} has a unit test`).toContain(`alertname: ${name}`);
  });

  it("unit tests that catch a broken rule", () => {
    // The same tests against a rule set whose failure-rate threshold was raised must fail.
    copyFileSync(join(PROM_DIR, "alerts.test.yml"), join(scratch, "alerts.test.yml"));
    const rules = readFileSync(join(PROM_DIR, "alerts.yml"), "utf8");
    expect(rules).toContain(") > 0.2");
    writeFileSync(join(scratch, "alerts.yml"), rules.replace(") > 0.2", ") > 0.6"));
    const run = promtool("test", "rules", join(scratch, "alerts.test.yml"));
    expect(run.code).not.toBe(0);
    expect(run.output).toContain("RunnerJobFailureRateHigh");
  });
});

describe("fleet recording rules", () => {
  it("pass promtool check rules", () => {
    const run = promtool("check", "rules", join(PROM_DIR, "fleet-rules.yml"));
    expect(run.code, run.output).toBe(0);
    expect(run.output).toMatch(/SUCCESS: \d+ rules found/);
  });

  it("pass their unit tests (promtool test rules): exact whole jobs through resets", () => {
    const run = promtool("test", "rules", join(PROM_DIR, "fleet-rules.test.yml"));
    expect(run.code, run.output).toBe(0);
    expect(run.output).toContain("SUCCESS");
  });

  it("unit tests that catch a reset counted wrong", () => {
    // The same tests against rules that forget the jobs counted before a reset in the same minute must fail.
    copyFileSync(join(PROM_DIR, "fleet-rules.test.yml"), join(scratch, "fleet-rules.test.yml"));
    const rules = readFileSync(join(PROM_DIR, "fleet-rules.yml"), "utf8");
    const broken = rules.replace(
      "clamp_min(max_over_time(github_runner_jobs_total[1m] offset 1m) - github_runner_jobs_total offset 2m, 0)",
      "0",
    );
    expect(broken).not.toBe(rules);
    writeFileSync(join(scratch, "fleet-rules.yml"), broken);
    const run = promtool("test", "rules", join(scratch, "fleet-rules.test.yml"));
    expect(run.code).not.toBe(0);
    expect(run.output).toContain("runner_type:github_runner_jobs:increments1m");
  });
});
