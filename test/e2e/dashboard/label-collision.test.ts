// What docs/PROMETHEUS_INTEGRATION.md says about a target label named like an exposed label,
// shown on a real Prometheus: without honor_labels the runner's own runner_type is renamed to
// exported_runner_type and the target's value takes its place; with honor_labels it stays.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FIXTURES, type Running, startSupervisor, stopSupervisor } from "../../helpers/index.js";
import { PrometheusServer } from "./prometheus-server.js";

let prometheus: PrometheusServer | undefined;
let supervisor: Running | undefined;
let workDir = "";

beforeAll(async () => {
  workDir = mkdtempSync(join(tmpdir(), "label-collision-"));
  supervisor = startSupervisor({
    runnerHome: join(FIXTURES, "dashboard", "chrome"),
    // Stays idle at "Listening for Jobs" until stopped: the go file never appears.
    command: ["bash", "-c", "source ../lib.sh && session_start && linger"],
    env: { RUNNER_TYPE: "chrome", RUNNER_NAME: "collision-runner" },
  });
  const target = `127.0.0.1:${await supervisor.port}`;
  const config = join(workDir, "prometheus.yml");
  const job = (name: string, honor: boolean) =>
    [
      `  - job_name: ${name}`,
      `    honor_labels: ${honor}`,
      "    static_configs:",
      `      - targets: ["${target}"]`,
      "        labels: {runner_type: from-target}",
    ].join("\n");
  writeFileSync(
    config,
    [
      "global:",
      "  scrape_interval: 1s",
      "  scrape_timeout: 900ms",
      "scrape_configs:",
      job("default", false),
      job("honored", true),
      "",
    ].join("\n"),
  );
  prometheus = await PrometheusServer.start(config, workDir);
  await prometheus.waitFor("count by (job) (github_runner_info)", (r) => r.length === 2, 15_000);
}, 30_000);

afterAll(async () => {
  await stopSupervisor(supervisor);
  await prometheus?.stop();
  if (workDir) rmSync(workDir, { recursive: true, force: true });
});

describe("a target label named runner_type", () => {
  it("renames the runner's own label to exported_runner_type (honor_labels: false, the default)", async () => {
    const [info] = await prometheus!.query('github_runner_info{job="default"}', Date.now() / 1000);
    expect(info!.metric.runner_type).toBe("from-target");
    expect(info!.metric.exported_runner_type).toBe("chrome");
    // So the dashboard's runner_type filter no longer finds the runner's real type.
    expect(await prometheus!.query('github_runner_info{job="default", runner_type=~"chrome"}', Date.now() / 1000)).toEqual([]);
  });

  it("keeps the runner's value with honor_labels: true", async () => {
    const [info] = await prometheus!.query('github_runner_info{job="honored"}', Date.now() / 1000);
    expect(info!.metric.runner_type).toBe("chrome");
    expect(info!.metric.exported_runner_type).toBeUndefined();
  });

  it("is found by the check the guide gives", async () => {
    const found = await prometheus!.query('count by (job) ({__name__=~"github_runner_.*", exported_runner_type!=""})', Date.now() / 1000);
    expect(found.map((s) => s.metric.job)).toEqual(["default"]);
  });
});
