import { describe, expect, it } from "vitest";
import { jobPhasesCollector } from "../../../src/collectors/job-phases.js";
import type { JobPhaseSeconds, JobStatus } from "../../../src/runner/jobs.js";
import { harness } from "./observe.js";

const finished = (status: JobStatus, phases: JobPhaseSeconds, labels: Record<string, string> = {}) =>
  ({
    type: "job-finished",
    name: "build",
    status,
    durationSeconds: 10 as number | undefined,
    finishedAtEpochSeconds: 1_700_000_000,
    context: undefined,
    phases,
    labels,
  }) as const;

const options = { jobPhaseBuckets: [5, 60], jobLabelNames: [], unknownJobLabels: {} };

describe("the job-phases collector", () => {
  it("starts every phase and status at 0, and the untimed counter of each phase", async () => {
    const m = await harness((r) => jobPhasesCollector(options, r.both)).after();
    for (const phase of ["setup", "steps", "cleanup"]) {
      for (const status of ["success", "failed", "cancelled", "skipped", "abandoned", "unknown"]) {
        expect(m.value("github_runner_job_phase_duration_seconds_count", { phase, status }), `${phase} ${status}`).toBe(0);
      }
      expect(m.value("github_runner_job_phases_untimed_total", { phase })).toBe(0);
    }
  });

  it("observes each timed phase with the job's status, and counts the others as untimed", async () => {
    const m = await harness((r) => jobPhasesCollector(options, r.both)).after(
      finished("success", { setup: 3, steps: 40, cleanup: 0.5 }),
      finished("cancelled", { setup: 2 }),
      finished("failed", {}),
    );
    expect(m.value("github_runner_job_phase_duration_seconds_sum", { phase: "setup", status: "success" })).toBe(3);
    expect(m.value("github_runner_job_phase_duration_seconds_bucket", { phase: "steps", status: "success", le: "5" })).toBe(0);
    expect(m.value("github_runner_job_phase_duration_seconds_bucket", { phase: "steps", status: "success", le: "60" })).toBe(1);
    expect(m.value("github_runner_job_phase_duration_seconds_sum", { phase: "cleanup", status: "success" })).toBe(0.5);
    expect(m.value("github_runner_job_phase_duration_seconds_sum", { phase: "setup", status: "cancelled" })).toBe(2);
    expect(m.value("github_runner_job_phase_duration_seconds_count", { phase: "steps", status: "cancelled" })).toBe(0);
    expect(m.value("github_runner_job_phases_untimed_total", { phase: "setup" })).toBe(1);
    expect(m.value("github_runner_job_phases_untimed_total", { phase: "steps" })).toBe(2);
    expect(m.value("github_runner_job_phases_untimed_total", { phase: "cleanup" })).toBe(2);
  });

  it("ignores a completed line whose job start was never seen (not a job it followed)", async () => {
    const m = await harness((r) => jobPhasesCollector(options, r.both)).after({ ...finished("success", {}), durationSeconds: undefined });
    expect(m.value("github_runner_job_phases_untimed_total", { phase: "setup" })).toBe(0);
  });

  it("with job labels: a new label set starts at 0 when its first job is labelled", async () => {
    const labels = { repository: "acme/shop", workflow: "CI" };
    const h = harness((r) =>
      jobPhasesCollector(
        { ...options, jobLabelNames: ["repository", "workflow"], unknownJobLabels: { repository: "unknown", workflow: "unknown" } },
        r.both,
      ),
    );
    expect(
      (await h.after()).value("github_runner_job_phase_duration_seconds_count", {
        phase: "setup",
        status: "success",
        repository: "unknown",
        workflow: "unknown",
      }),
    ).toBe(0);
    expect(
      (await h.after({ type: "job-labelled", labels })).value("github_runner_job_phase_duration_seconds_count", {
        phase: "cleanup",
        status: "failed",
        ...labels,
      }),
    ).toBe(0);
    expect(
      (await h.after(finished("success", { steps: 7 }, labels))).value("github_runner_job_phase_duration_seconds_sum", {
        phase: "steps",
        status: "success",
        ...labels,
      }),
    ).toBe(7);
  });
});
