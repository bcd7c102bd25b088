import type { Change } from "../runner/state.js";
import type { JobContext } from "../context/messages.js";
import type { LookupResult } from "../context/queue-time.js";
import type { JobStatus } from "../runner/jobs.js";
import { OTHER_CACHE_TYPE, seedJobLabels, type ChannelMessageKind, type RunnerMetrics } from "./definitions.js";

/** The opt-in job labels of a job (repository, workflow); {} when none are turned on. */
export type JobLabelsOf = (context: JobContext | undefined) => Record<string, string>;
const NO_JOB_LABELS: JobLabelsOf = () => ({});

/** Turns the tracker's changes into metric updates. The only writer of the metrics. */
export function recordChange(metrics: RunnerMetrics, change: Change, jobLabels: JobLabelsOf = NO_JOB_LABELS, deploys = false): void {
  switch (change.type) {
    case "online":
      metrics.status.set(change.online ? 1 : 0);
      break;
    case "busy":
      metrics.busy.set(change.busy ? 1 : 0);
      if (change.busy) metrics.jobStartTime.set(change.sinceEpochSeconds);
      else metrics.jobStartTime.clear();
      break;
    case "job-finished": {
      const labels = { status: change.status, ...jobLabels(change.context) };
      metrics.jobs.inc(labels);
      if (change.durationSeconds !== undefined) metrics.jobDuration.observe(labels, change.durationSeconds);
      metrics.lastJobCompletion.set({ status: change.status }, change.finishedAtEpochSeconds);
      break;
    }
    case "job-context": {
      // A new repository or workflow gets its counters at 0 while its first job still runs.
      const labels = jobLabels(change.context);
      if (Object.keys(labels).length > 0) seedJobLabels(metrics, labels, deploys);
      break;
    }
    case "version":
      metrics.info.reset();
      metrics.info.set({ version: change.version }, 1);
      break;
    case "listener-exit":
      if (change.reason === "retryable" || change.reason === "updating") metrics.relaunches.inc({ reason: change.reason });
      break;
    case "connect-error":
      metrics.connectionErrors.inc({ reason: "connect_error" });
      break;
    case "session-conflict":
      metrics.connectionErrors.inc({ reason: "session_conflict" });
      break;
    case "session-failed":
      metrics.connectionErrors.inc({ reason: "session_failed" });
      break;
    case "runner-removed":
      metrics.connectionErrors.inc({ reason: "runner_removed" });
      break;
    case "update-started":
      metrics.updates.inc();
      break;
    case "update-failed":
      metrics.updateFailures.inc();
      break;
    default:
      break;
  }
}

/** Shows whether the supervisor is draining. */
export function recordDraining(metrics: RunnerMetrics, draining: boolean): void {
  metrics.draining.set(draining ? 1 : 0);
}

/** A queue-time look-up finished: its value, or why there is none (the last-job gauge then goes absent). */
export function recordQueueTime(metrics: RunnerMetrics, labels: Record<string, string>, result: LookupResult): void {
  if (result.ok) {
    metrics.queueTime.set(result.seconds);
    metrics.queueTimeHistogram.observe(labels, result.seconds);
  } else {
    metrics.queueTime.clear();
    metrics.queueTimeFailures.inc({ reason: result.reason });
  }
}

const cacheTotals = new WeakMap<RunnerMetrics, Map<string, { hits: number; misses: number }>>();

/** A cache report; a type outside the configured list counts as other. The hit rate is derived from the counters. */
export function recordCache(metrics: RunnerMetrics, allowed: ReadonlySet<string>, cacheType: string, hits: number, misses: number): void {
  const type = allowed.has(cacheType) ? cacheType : OTHER_CACHE_TYPE;
  if (hits > 0) metrics.cacheRequests.inc({ cache_type: type, result: "hit" }, hits);
  if (misses > 0) metrics.cacheRequests.inc({ cache_type: type, result: "miss" }, misses);
  let totals = cacheTotals.get(metrics);
  if (!totals) cacheTotals.set(metrics, (totals = new Map()));
  const t = totals.get(type) ?? { hits: 0, misses: 0 };
  t.hits += hits;
  t.misses += misses;
  totals.set(type, t);
  metrics.cacheHitRate.set({ cache_type: type }, t.hits / (t.hits + t.misses));
}

/** A deploy job finished: counted by result, with its lead time and recovery time when known. */
export function recordDeploy(
  metrics: RunnerMetrics,
  labels: Record<string, string>,
  status: JobStatus,
  leadTimeSeconds: number | undefined,
  recoverySeconds: number | undefined,
): void {
  metrics.deployments.inc({ result: status, ...labels });
  if (leadTimeSeconds !== undefined) metrics.deployLeadTime.observe(labels, leadTimeSeconds);
  if (recoverySeconds !== undefined) metrics.deployRecoveryTime.observe(labels, recoverySeconds);
}

export function recordChannelMessage(metrics: RunnerMetrics, kind: ChannelMessageKind): void {
  metrics.channelMessages.inc({ kind });
}
