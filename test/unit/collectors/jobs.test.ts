import { describe, expect, it } from "vitest";
import { jobsCollector } from "../../../src/collectors/jobs.js";
import type { JobStatus } from "../../../src/runner/jobs.js";
import { harness } from "./observe.js";

const finished = (status: JobStatus, durationSeconds: number | undefined, labels: Record<string, string> = {}) =>
  ({
    type: "job-finished",
    name: "build",
    status,
    durationSeconds,
    finishedAtEpochSeconds: 1_700_000_000,
    context: undefined,
    phases: {},
    labels,
  }) as const;

describe("the jobs collector", () => {
  it("starts every status at 0, so increase() sees the first result", async () => {
    const m = await harness((r) => jobsCollector({ jobDurationBuckets: [1, 10], jobLabelNames: [], unknownJobLabels: {} }, r.both)).after();
    for (const status of ["success", "failed", "cancelled", "skipped", "abandoned", "unknown"]) {
      expect(m.value("github_runner_jobs_total", { status }), status).toBe(0);
      expect(m.value("github_runner_job_duration_seconds_count", { status })).toBe(0);
    }
    expect(m.value("github_runner_last_job_completion_timestamp_seconds", { status: "success" })).toBeUndefined();
  });

  it("counts a finished job, observes its duration and stamps the last completion of its status", async () => {
    const m = await harness((r) => jobsCollector({ jobDurationBuckets: [1, 10], jobLabelNames: [], unknownJobLabels: {} }, r.both)).after(
      finished("success", 4),
      finished("failed", undefined),
    );
    expect(m.value("github_runner_jobs_total", { status: "success" })).toBe(1);
    expect(m.value("github_runner_job_duration_seconds_bucket", { status: "success", le: "1" })).toBe(0);
    expect(m.value("github_runner_job_duration_seconds_bucket", { status: "success", le: "10" })).toBe(1);
    expect(m.value("github_runner_job_duration_seconds_sum", { status: "success" })).toBe(4);
    // A job whose start was never seen counts, without a duration.
    expect(m.value("github_runner_jobs_total", { status: "failed" })).toBe(1);
    expect(m.value("github_runner_job_duration_seconds_count", { status: "failed" })).toBe(0);
    expect(m.value("github_runner_last_job_completion_timestamp_seconds", { status: "success" })).toBe(1_700_000_000);
  });

  it("with job labels: the unknown set at start, a new repository and workflow at 0 as soon as its first job is labelled", async () => {
    const labels = { repository: "acme/shop", workflow: "Deploy" };
    const h = harness((r) =>
      jobsCollector(
        {
          jobDurationBuckets: [1],
          jobLabelNames: ["repository", "workflow"],
          unknownJobLabels: { repository: "unknown", workflow: "unknown" },
        },
        r.both,
      ),
    );
    const before = await h.after();
    expect(before.value("github_runner_jobs_total", { status: "success", repository: "unknown", workflow: "unknown" })).toBe(0);
    const m = await h.after({ type: "job-labelled", labels });
    expect(m.value("github_runner_jobs_total", { status: "success", ...labels })).toBe(0);
    expect(m.value("github_runner_job_duration_seconds_count", { status: "failed", ...labels })).toBe(0);
    const after = await h.after(finished("success", 2, labels));
    expect(after.value("github_runner_jobs_total", { status: "success", ...labels })).toBe(1);
  });
});
