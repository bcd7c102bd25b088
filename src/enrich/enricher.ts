import { systemClock, type Clock } from "../common/clock.js";
import type { OptionValues } from "../config/config.js";
import { describeError, type Log } from "../common/log.js";
import type { LookupFailure, Observation } from "../observation.js";
import type { Change, FinishedJob, JobContextChange } from "../runner/state.js";
import { isDeploy, leadTimeSeconds, RecoveryClock } from "./deploys.js";
import { LabelPolicy } from "./labels.js";
import { QueueTimeLookups } from "./queue-time.js";

export type EnricherOptions = Pick<
  OptionValues,
  | "runnerName"
  | "jobLabels"
  | "repositoryLabelPattern"
  | "workflowLabelPattern"
  | "labelValuesMax"
  | "deployPattern"
  | "githubApiUrl"
  | "githubApiToken"
  | "githubApiTimeout"
  | "githubApiRetries"
> & { readonly userAgent: string };

/** Between the tracker and the collectors: what a job's context adds to the runner's changes. */
export interface Enricher {
  /** Passes one change of the tracker on, with its job's labels, deploy facts and queue time (that one later). */
  take(change: Change): void;
  /** Resolves when every queue-time look-up started so far has finished. */
  settled(): Promise<void>;
}

/**
 * Adds to each change what only the job's context tells: its opt-in labels (bounded by the label
 * policy), whether it was a deploy (with lead and recovery time), and its queue time from
 * GitHub's API, looked up beside the job and never in its way.
 */
export function createEnricher(
  o: EnricherOptions,
  emit: (observation: Observation) => void,
  log: Log,
  clock: Clock = systemClock,
): Enricher {
  const labels = new LabelPolicy({
    names: o.jobLabels,
    patterns: { repository: o.repositoryLabelPattern, workflow: o.workflowLabelPattern },
    maxValues: o.labelValuesMax,
  });
  const lookups = o.githubApiToken
    ? new QueueTimeLookups({
        apiUrl: o.githubApiUrl,
        token: o.githubApiToken,
        timeoutMs: o.githubApiTimeout * 1000,
        retries: o.githubApiRetries,
        userAgent: o.userAgent,
      })
    : undefined;
  const recovery = new RecoveryClock(clock);
  const inFlight = new Set<Promise<void>>();
  const noQueueTime = (reason: LookupFailure) => emit({ type: "queue-time", labels: {}, result: { ok: false, reason } });

  const lookUp = (change: JobContextChange): void => {
    if (!lookups) return noQueueTime("no_token");
    const done = lookups.lookup(change.context, change.context.runnerName || o.runnerName, change.jobName).then(
      (result) => emit({ type: "queue-time", labels: labels.labelsFor(change.context), result }),
      (error: unknown) => log(`queue-time look-up error: ${describeError(error)}`),
    );
    inFlight.add(done);
    void done.finally(() => inFlight.delete(done));
  };

  const finished = (job: FinishedJob): void => {
    const jobLabels = labels.labelsFor(job.context);
    // Written out, not spread: the spread cost the pipeline a quarter of its lines per second
    // (npm run bench) when every other line is a job's.
    const { type, name, status, durationSeconds, finishedAtEpochSeconds, context, phases, moments } = job;
    emit({ type, name, status, durationSeconds, finishedAtEpochSeconds, context, phases, moments, labels: jobLabels });
    if (!job.context) noQueueTime(lookups ? "no_context" : "no_token");
    if (!job.context || !o.deployPattern) return;
    const deploy = isDeploy(job.context, o.deployPattern);
    emit({ type: "deploy-classified", matched: deploy });
    if (deploy) {
      emit({
        type: "deploy-finished",
        labels: jobLabels,
        status: job.status,
        leadTimeSeconds: job.status === "success" ? leadTimeSeconds(job.context, job.finishedAtEpochSeconds) : undefined,
        recoverySeconds: recovery.finished(job.context, job.status),
      });
    }
  };

  return {
    take: (change) => {
      if (change.type === "job-context") {
        emit({ type: "job-labelled", labels: labels.labelsFor(change.context), context: change.context });
        lookUp(change);
      } else if (change.type === "job-finished") finished(change);
      else emit(change);
    },
    settled: async () => {
      await Promise.all([...inFlight]);
    },
  };
}
