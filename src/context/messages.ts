/**
 * What travels over the local channel: a hook's job context, or a cache report from a step.
 * Everything arrives from processes that run the job's code, so every field is checked and
 * bounded here, and anything else in a message is ignored.
 */

/** The context of one job, as its hooks see it (the runner's GITHUB_* variables). */
export interface JobContext {
  readonly runId: string;
  readonly runAttempt: number;
  /** owner/name. */
  readonly repository: string;
  readonly workflow: string;
  /** The job's key in the workflow file (GITHUB_JOB), not its display name. */
  readonly job: string;
  readonly eventName: string;
  /** The runner's registered name, as the runner told the hook (RUNNER_NAME); "" when unknown. */
  readonly runnerName: string;
  /** The deployment environment, when the event payload names one. */
  readonly environment?: string;
  /** Unix time (seconds) of the commit the event pushed, when the payload has one. */
  readonly commitEpochSeconds?: number;
}

export type HookKind = "job-started" | "job-completed";
export const HOOK_KINDS: readonly HookKind[] = ["job-started", "job-completed"];

export type ChannelMessage =
  | { readonly kind: "hook"; readonly hook: HookKind; readonly context: JobContext }
  | { readonly kind: "cache"; readonly cacheType: string; readonly hits: number; readonly misses: number };

/** Longest message accepted, in bytes (one JSON line). */
export const MAX_MESSAGE_BYTES = 16 * 1024;
/** Largest count one cache report may carry. */
export const MAX_CACHE_COUNT = 100_000;

const SHORT_TEXT = /^[^\p{Cc}]{1,256}$/u;
const REPOSITORY = /^[A-Za-z0-9_.-]{1,100}\/[A-Za-z0-9_.-]{1,100}$/;
const RUN_ID = /^\d{1,20}$/;
const CACHE_TYPE = /^[a-z][a-z0-9_-]{0,31}$/;

function str(value: unknown, pattern: RegExp): string | undefined {
  return typeof value === "string" && pattern.test(value) ? value : undefined;
}

function count(value: unknown): number | undefined {
  return typeof value === "number" && Number.isInteger(value) && value >= 0 && value <= MAX_CACHE_COUNT ? value : undefined;
}

/** Checks a job context; undefined when a required field is missing or out of bounds. */
export function decodeContext(raw: unknown): JobContext | undefined {
  if (typeof raw !== "object" || raw === null) return undefined;
  const r = raw as Record<string, unknown>;
  const runId = str(r.runId, RUN_ID);
  const repository = str(r.repository, REPOSITORY);
  const attempt = typeof r.runAttempt === "number" && Number.isInteger(r.runAttempt) && r.runAttempt >= 1 && r.runAttempt <= 1000 ? r.runAttempt : undefined;
  const workflow = str(r.workflow, SHORT_TEXT);
  const job = str(r.job, SHORT_TEXT);
  if (!runId || !repository || !attempt || !workflow || !job) return undefined;
  const commit = typeof r.commitEpochSeconds === "number" && Number.isFinite(r.commitEpochSeconds) && r.commitEpochSeconds > 0 ? r.commitEpochSeconds : undefined;
  const environment = str(r.environment, SHORT_TEXT);
  return {
    runId,
    runAttempt: attempt,
    repository,
    workflow,
    job,
    eventName: str(r.eventName, /^[a-z_]{1,64}$/) ?? "",
    runnerName: str(r.runnerName, SHORT_TEXT) ?? "",
    ...(environment !== undefined ? { environment } : {}),
    ...(commit !== undefined ? { commitEpochSeconds: commit } : {}),
  };
}

/** Checks one message from the channel; undefined for anything not understood. */
export function decodeMessage(raw: unknown): ChannelMessage | undefined {
  if (typeof raw !== "object" || raw === null) return undefined;
  const r = raw as Record<string, unknown>;
  if (r.kind === "hook") {
    const hook = HOOK_KINDS.find((h) => h === r.hook);
    const context = decodeContext(r.context);
    return hook && context ? { kind: "hook", hook, context } : undefined;
  }
  if (r.kind === "cache") {
    const cacheType = str(r.cacheType, CACHE_TYPE);
    const hits = count(r.hits);
    const misses = count(r.misses);
    if (!cacheType || hits === undefined || misses === undefined || hits + misses === 0) return undefined;
    return { kind: "cache", cacheType, hits, misses };
  }
  return undefined;
}
