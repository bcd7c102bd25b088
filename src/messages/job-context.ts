/**
 * The context of one job as its hooks see it (the runner's GITHUB_* variables), shared by the
 * job's side, which sends it, and the supervisor's, which checks it. It comes from processes
 * that run the job's code, so every field is checked and bounded, and anything else is ignored.
 */
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

const SHORT_TEXT = /^[^\p{Cc}]{1,256}$/u;
const REPOSITORY = /^[A-Za-z0-9_.-]{1,100}\/[A-Za-z0-9_.-]{1,100}$/;
const RUN_ID = /^\d{1,20}$/;

/** A string matching the pattern, or undefined. */
export function boundedText(value: unknown, pattern: RegExp): string | undefined {
  return typeof value === "string" && pattern.test(value) ? value : undefined;
}

/** Checks a job context; undefined when a required field is missing or out of bounds. */
export function decodeContext(raw: unknown): JobContext | undefined {
  if (typeof raw !== "object" || raw === null) return undefined;
  const r = raw as Record<string, unknown>;
  const runId = boundedText(r.runId, RUN_ID);
  const repository = boundedText(r.repository, REPOSITORY);
  const attempt =
    typeof r.runAttempt === "number" && Number.isInteger(r.runAttempt) && r.runAttempt >= 1 && r.runAttempt <= 1000
      ? r.runAttempt
      : undefined;
  const workflow = boundedText(r.workflow, SHORT_TEXT);
  const job = boundedText(r.job, SHORT_TEXT);
  if (!runId || !repository || !attempt || !workflow || !job) return undefined;
  const commit =
    typeof r.commitEpochSeconds === "number" && Number.isFinite(r.commitEpochSeconds) && r.commitEpochSeconds > 0
      ? r.commitEpochSeconds
      : undefined;
  const environment = boundedText(r.environment, SHORT_TEXT);
  return {
    runId,
    runAttempt: attempt,
    repository,
    workflow,
    job,
    eventName: boundedText(r.eventName, /^[a-z_]{1,64}$/) ?? "",
    runnerName: boundedText(r.runnerName, SHORT_TEXT) ?? "",
    ...(environment !== undefined ? { environment } : {}),
    ...(commit !== undefined ? { commitEpochSeconds: commit } : {}),
  };
}
