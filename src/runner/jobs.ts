import type { RunnerResult } from "./events.js";

/** The `status` label of the job metrics: the runner's six results folded, plus jobs that never reported one. */
export type JobStatus = "success" | "failed" | "cancelled" | "skipped" | "abandoned" | "unknown";

/** Every status, in the order the metrics are pre-seeded. */
export const JOB_STATUSES: readonly JobStatus[] = ["success", "failed", "cancelled", "skipped", "abandoned", "unknown"];

const BY_RESULT: Readonly<Record<RunnerResult, JobStatus>> = {
  Succeeded: "success",
  SucceededWithIssues: "success",
  Failed: "failed",
  Canceled: "cancelled",
  Skipped: "skipped",
  Abandoned: "abandoned",
};

/** The status label for a result the runner printed. */
export function statusOf(result: RunnerResult): JobStatus {
  return BY_RESULT[result];
}

/**
 * The three phases of a job, bounded by the four moments the supervisor sees: the `Running job`
 * line, the job-started hook, the job-completed hook and the completed line.
 */
export type JobPhase = "setup" | "steps" | "cleanup";
export const JOB_PHASES: readonly JobPhase[] = ["setup", "steps", "cleanup"];

/** How long each phase of a finished job took, in seconds; a phase whose bounds were not both seen is absent. */
export type JobPhaseSeconds = Readonly<Partial<Record<JobPhase, number>>>;
