import type { JobStatus } from "../runner/jobs.js";
import type { TextPattern } from "../config/linear-pattern.js";
import type { JobContext } from "../messages/job-context.js";

/** Whether a job is a deployment: its workflow name, job key or environment matches the pattern. */
export function isDeploy(context: JobContext | undefined, pattern: TextPattern | undefined): boolean {
  if (!context || !pattern) return false;
  return [context.workflow, context.job, context.environment].some((v) => v !== undefined && pattern.test(v));
}

/** Repositories and workflows remembered with an open failure; the oldest is forgotten beyond this. */
const MAX_TRACKED = 1000;

/**
 * Pipeline recovery time as one supervisor can see it: from the first failed deploy of a
 * repository and workflow to the next successful deploy of the same pair. Only deploys that ran
 * on this runner are seen (an ephemeral runner sees one); memory is bounded.
 */
export class RecoveryClock {
  private readonly failingSince = new Map<string, number>();

  /** Records a finished deploy; returns the recovery time in seconds when this deploy ended a failure streak. */
  finished(context: JobContext, status: JobStatus, atEpochSeconds: number): number | undefined {
    const key = `${context.repository}\n${context.workflow}`;
    if (status === "failed") {
      if (!this.failingSince.has(key)) {
        if (this.failingSince.size >= MAX_TRACKED) this.failingSince.delete(this.failingSince.keys().next().value!);
        this.failingSince.set(key, atEpochSeconds);
      }
      return undefined;
    }
    if (status !== "success") return undefined;
    const since = this.failingSince.get(key);
    if (since === undefined) return undefined;
    this.failingSince.delete(key);
    return Math.max(0, atEpochSeconds - since);
  }
}

/** Lead time for changes of one successful deploy: from the pushed commit to the deploy job's end; undefined without a commit time. */
export function leadTimeSeconds(context: JobContext, finishedAtEpochSeconds: number): number | undefined {
  if (context.commitEpochSeconds === undefined) return undefined;
  const seconds = finishedAtEpochSeconds - context.commitEpochSeconds;
  return seconds >= 0 ? seconds : undefined;
}
