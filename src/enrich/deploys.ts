import type { JobStatus } from "../runner/jobs.js";
import { systemClock, type Clock } from "../common/clock.js";
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
 * repository and workflow to the next successful deploy of the same pair, on the monotonic
 * clock (a wall-clock step between the two must not become recovery time). Only deploys that ran
 * on this runner are seen (an ephemeral runner sees one); memory is bounded.
 */
export class RecoveryClock {
  private readonly failingSinceMs = new Map<string, number>();

  constructor(private readonly clock: Pick<Clock, "monotonicMs"> = systemClock) {}

  /** Records a deploy that finished now; returns the recovery time in seconds when it ended a failure streak. */
  finished(context: JobContext, status: JobStatus): number | undefined {
    const key = `${context.repository}\n${context.workflow}`;
    const now = this.clock.monotonicMs();
    if (status === "failed") {
      if (!this.failingSinceMs.has(key)) {
        if (this.failingSinceMs.size >= MAX_TRACKED) this.failingSinceMs.delete(this.failingSinceMs.keys().next().value!);
        this.failingSinceMs.set(key, now);
      }
      return undefined;
    }
    if (status !== "success") return undefined;
    const since = this.failingSinceMs.get(key);
    if (since === undefined) return undefined;
    this.failingSinceMs.delete(key);
    return Math.max(0, (now - since) / 1000);
  }
}

/**
 * Lead time for changes of one successful deploy: from the pushed commit to the deploy job's end;
 * undefined without a commit time. Wall clock on both ends by necessity (the commit's time comes
 * from another machine), so a clock step here moves it; negative results are dropped.
 */
export function leadTimeSeconds(context: JobContext, finishedAtEpochSeconds: number): number | undefined {
  if (context.commitEpochSeconds === undefined) return undefined;
  const seconds = finishedAtEpochSeconds - context.commitEpochSeconds;
  return seconds >= 0 ? seconds : undefined;
}
