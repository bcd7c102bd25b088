import type { JobStatus } from "./jobs.js";

/**
 * Why a job that did not succeed ended, as the `cause` label of github_runner_job_failures_total.
 * The first rule that holds wins (docs/JOB_RESOURCES.md, "Why a job ended"):
 * - oom_killed: the container's cgroup counted an OOM kill between the job's start and end;
 * - runner_stopped: the supervisor was told to stop (a stop signal forwarded, or held for a drain
 *   that ran past its timeout) while the job was in flight;
 * - runner_lost: the job never printed its completed line (the listener or worker died);
 * - cancelled, abandoned: the runner printed that result;
 * - job_failed: the runner printed Failed, and none of the above held.
 */
export type JobCause = "oom_killed" | "runner_stopped" | "runner_lost" | "cancelled" | "abandoned" | "job_failed";

/** Every cause, in the order the counter is pre-seeded. */
export const JOB_CAUSES: readonly JobCause[] = ["oom_killed", "runner_stopped", "runner_lost", "cancelled", "abandoned", "job_failed"];

/** What the rules read about one finished job. */
export interface CauseFacts {
  readonly status: JobStatus;
  /** OOM kills the cgroup counted during the job; undefined when the cgroup could not say. */
  readonly oomKills: number | undefined;
  /** Whether a stop reached the runner while the job was in flight. */
  readonly stopped: boolean;
}

/** The cause of a job that did not succeed; undefined for one that succeeded or was skipped (not a failure). */
export function causeOf(facts: CauseFacts): JobCause | undefined {
  if (facts.status === "success" || facts.status === "skipped") return undefined;
  if ((facts.oomKills ?? 0) > 0) return "oom_killed";
  if (facts.stopped) return "runner_stopped";
  if (facts.status === "unknown") return "runner_lost";
  if (facts.status === "cancelled") return "cancelled";
  if (facts.status === "abandoned") return "abandoned";
  return "job_failed";
}
