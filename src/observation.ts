import type { CgroupLimits, PressureResource } from "./cgroup/read.js";
import type { JobUsage } from "./cgroup/usage.js";
import type { JobContext } from "./messages/job-context.js";
import type { JobCause } from "./runner/causes.js";
import type { JobStatus } from "./runner/jobs.js";
import type { Change, FinishedJob } from "./runner/state.js";

/** The opt-in job labels of one job (repository, workflow); {} when none are turned on. */
export type JobLabels = Readonly<Record<string, string>>;

/** Why a job has no queue time (the enricher's look-ups say it, the queue-time collector counts it). */
export const LOOKUP_FAILURE_REASONS = [
  "no_token",
  "no_context",
  "unauthorized",
  "forbidden",
  "not_found",
  "rate_limited",
  "timeout",
  "server_error",
  "network_error",
  "bad_response",
] as const;
export type LookupFailure = (typeof LOOKUP_FAILURE_REASONS)[number];

export type LookupResult = { readonly ok: true; readonly seconds: number } | { readonly ok: false; readonly reason: LookupFailure };

/** What arrived over the job channel, as github_runner_context_messages_total counts it. */
export const CHANNEL_MESSAGE_KINDS = ["job_started", "job_completed", "cache_report", "rejected"] as const;
export type ChannelMessageKind = (typeof CHANNEL_MESSAGE_KINDS)[number];

/** What became of spans handed to the trace exporter: sent, dropped from a full queue, or lost in a failed export. */
export const SPAN_OUTCOMES = ["exported", "dropped", "failed"] as const;
export type SpanOutcome = (typeof SPAN_OUTCOMES)[number];

/**
 * What the collectors are told, one at a time and in order: the runner's changes as the tracker
 * derived them from its console, enriched with what the job's context adds (labels, queue time,
 * deploys), and what the job channel and the supervisor itself report. Nothing else writes metrics.
 */
export type Observation =
  | Exclude<Change, FinishedJob | { readonly type: "job-context" }>
  /** A job ended, with its opt-in labels. */
  | (FinishedJob & { readonly labels: JobLabels })
  /** A job in flight learned its labels from a hook: their series start at 0 now. */
  | { readonly type: "job-labelled"; readonly labels: JobLabels; readonly context?: JobContext }
  /**
   * How a finished job ended and what it cost: always delivered once per job-finished, right
   * after it. `cause` is set for every job
   * that did not succeed (runner/causes.ts); `usage` only where the container's cgroup is read.
   */
  | JobOutcome
  /** The container's cgroup was found at start-up: what it offers, and its limits. */
  | { readonly type: "cgroup-opened"; readonly limits: CgroupLimits; readonly offers: CgroupOffers }
  /** A stop reached the runner (a stop signal forwarded, or a drain that ran past its timeout). */
  | { readonly type: "stopping" }
  /** A queue-time look-up finished (or could not be made). */
  | { readonly type: "queue-time"; readonly labels: JobLabels; readonly result: LookupResult }
  /** A job with a context ended, and DEPLOY_PATTERN was tried on it: whether it made the job a deploy. */
  | { readonly type: "deploy-classified"; readonly matched: boolean }
  /** A deploy job ended. */
  | {
      readonly type: "deploy-finished";
      readonly labels: JobLabels;
      readonly status: JobStatus;
      readonly leadTimeSeconds: number | undefined;
      readonly recoverySeconds: number | undefined;
    }
  | { readonly type: "channel-message"; readonly kind: ChannelMessageKind }
  /** A step reported cache look-ups (the type as reported; the collector bounds it). */
  | { readonly type: "cache-report"; readonly cacheType: string; readonly hits: number; readonly misses: number }
  /** The trace exporter (when on) finished with some spans. */
  | { readonly type: "trace-spans"; readonly outcome: SpanOutcome; readonly count: number }
  /** The supervisor holds back a SIGTERM until the job in flight finishes, or no longer does. */
  | { readonly type: "draining"; readonly draining: boolean };

/** How a finished job ended, and what it used of the container's cgroup. */
export interface JobOutcome {
  readonly type: "job-outcome";
  readonly name: string;
  readonly status: JobStatus;
  readonly cause: JobCause | undefined;
  readonly labels: JobLabels;
  readonly context: JobContext | undefined;
  readonly usage: JobUsage | undefined;
}

/** Which per-job figures the container's cgroup offers (each metric exists only where its figure does). */
export interface CgroupOffers {
  readonly cpu: boolean;
  readonly memory: boolean;
  readonly throttling: boolean;
  readonly io: boolean;
  readonly oomKills: boolean;
  readonly pressure: readonly PressureResource[];
}
