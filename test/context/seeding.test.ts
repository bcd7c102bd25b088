import { describe, expect, it } from "vitest";
import { createMetrics, seedJobLabels } from "../../src/metrics/definitions.js";
import { parseSamples } from "../helpers/supervisor.js";

describe("a new repository and workflow label set", () => {
  it("gets every job, queue-time and deploy series at 0 before its first event, so increase() sees that event", async () => {
    const { registries, metrics } = createMetrics({
      runnerName: "r",
      runnerType: "standard",
      initialRunnerVersion: "unknown",
      supervisorVersion: "0",
      jobDurationBuckets: [1, 10],
      startEpochMs: 0,
      monotonicMs: () => 0,
      jobLabelNames: ["repository", "workflow"],
      deploys: true,
    });
    const labels = { repository: "acme/shop", workflow: "Deploy" };
    seedJobLabels(metrics, labels, true);
    const m = parseSamples(await registries.text.metrics());
    expect(m.value("github_runner_jobs_total", { status: "success", ...labels })).toBe(0);
    expect(m.value("github_runner_job_duration_seconds_count", { status: "failed", ...labels })).toBe(0);
    expect(m.value("github_runner_job_queue_time_seconds_count", labels)).toBe(0);
    expect(m.value("github_runner_deployments_total", { result: "success", ...labels })).toBe(0);
    expect(m.value("github_runner_deploy_lead_time_seconds_count", labels)).toBe(0);
    expect(m.value("github_runner_deploy_recovery_time_seconds_count", labels)).toBe(0);
  });
});
