import { describe, expect, it } from "vitest";
import { deploysCollector } from "../../../src/collectors/deploys.js";
import { harness } from "./observe.js";

describe("the deploys collector", () => {
  it("without job labels: every result at 0 from the start; a deploy counts, with its lead and recovery times", async () => {
    const h = harness((r) => deploysCollector({ jobLabelNames: [], unknownJobLabels: {} }, r.both));
    const start = await h.after();
    expect(start.value("github_runner_deployments_total", { result: "failed" })).toBe(0);
    expect(start.value("github_runner_deploy_lead_time_seconds_count")).toBe(0);
    const m = await h.after(
      { type: "deploy-finished", labels: {}, status: "failed", leadTimeSeconds: undefined, recoverySeconds: undefined },
      { type: "deploy-finished", labels: {}, status: "success", leadTimeSeconds: 900, recoverySeconds: 120 },
    );
    expect(m.value("github_runner_deployments_total", { result: "failed" })).toBe(1);
    expect(m.value("github_runner_deployments_total", { result: "success" })).toBe(1);
    expect(m.value("github_runner_deploy_lead_time_seconds_sum")).toBe(900);
    expect(m.value("github_runner_deploy_recovery_time_seconds_sum")).toBe(120);
  });

  it("counts the jobs DEPLOY_PATTERN was tried on by whether it matched, from 0, without job labels", async () => {
    const h = harness((r) =>
      deploysCollector(
        { jobLabelNames: ["repository", "workflow"], unknownJobLabels: { repository: "unknown", workflow: "unknown" } },
        r.both,
      ),
    );
    const start = await h.after();
    expect(start.value("github_runner_deploy_pattern_jobs_total", { matched: "true" })).toBe(0);
    expect(start.value("github_runner_deploy_pattern_jobs_total", { matched: "false" })).toBe(0);
    const m = await h.after(
      { type: "deploy-classified", matched: false },
      { type: "deploy-classified", matched: false },
      { type: "deploy-classified", matched: true },
    );
    expect(m.value("github_runner_deploy_pattern_jobs_total", { matched: "false" })).toBe(2);
    expect(m.value("github_runner_deploy_pattern_jobs_total", { matched: "true" })).toBe(1);
    expect(m.all.find((f) => f.name === "github_runner_deploy_pattern_jobs")!.samples).toHaveLength(2);
  });

  it("with job labels: nothing for jobs without context (never deploys), series at 0 once a job is labelled", async () => {
    const labels = { repository: "acme/shop", workflow: "Deploy" };
    const h = harness((r) =>
      deploysCollector(
        { jobLabelNames: ["repository", "workflow"], unknownJobLabels: { repository: "unknown", workflow: "unknown" } },
        r.both,
      ),
    );
    const start = await h.after();
    expect(
      start.value("github_runner_deployments_total", { result: "success", repository: "unknown", workflow: "unknown" }),
    ).toBeUndefined();
    const m = await h.after({ type: "job-labelled", labels });
    expect(m.value("github_runner_deployments_total", { result: "success", ...labels })).toBe(0);
    expect(m.value("github_runner_deploy_lead_time_seconds_count", labels)).toBe(0);
    expect(m.value("github_runner_deploy_recovery_time_seconds_count", labels)).toBe(0);
  });
});
