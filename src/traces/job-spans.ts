import {
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  trace,
  TraceFlags,
  type Attributes,
  type Context,
  type Span,
  type Tracer,
} from "@opentelemetry/api";
import { ATTR_ERROR_TYPE } from "@opentelemetry/semantic-conventions";
import {
  ATTR_CICD_PIPELINE_NAME,
  ATTR_CICD_PIPELINE_RUN_ID,
  ATTR_CICD_PIPELINE_TASK_NAME,
  ATTR_CICD_PIPELINE_TASK_RUN_RESULT,
  ATTR_CICD_WORKER_NAME,
  ATTR_PROCESS_EXIT_CODE,
  ATTR_VCS_OWNER_NAME,
  ATTR_VCS_PROVIDER_NAME,
  ATTR_VCS_REPOSITORY_NAME,
  CICD_PIPELINE_TASK_RUN_RESULT_VALUE_CANCELLATION,
  CICD_PIPELINE_TASK_RUN_RESULT_VALUE_ERROR,
  CICD_PIPELINE_TASK_RUN_RESULT_VALUE_FAILURE,
  CICD_PIPELINE_TASK_RUN_RESULT_VALUE_SKIP,
  CICD_PIPELINE_TASK_RUN_RESULT_VALUE_SUCCESS,
  VCS_PROVIDER_NAME_VALUE_GITHUB,
} from "@opentelemetry/semantic-conventions/incubating";
import type { TraceIdRule } from "../config/options.js";
import type { Observation } from "../observation.js";
import type { JobPhase, JobStatus } from "../runner/jobs.js";
import type { StepRecord, StepsOutcome } from "../runner/worker-log.js";
import { remoteParentOf } from "./ids.js";

type FinishedJob = Extract<Observation, { type: "job-finished" }>;

/** Our own attributes, where the conventions have no name: one prefix, so they are easy to tell apart. */
export const ATTR = {
  runAttempt: "runner_supervisor.run.attempt",
  jobKey: "runner_supervisor.job.key",
  jobStatus: "runner_supervisor.job.status",
  context: "runner_supervisor.job.context",
  steps: "runner_supervisor.job.steps",
  stepsDropped: "runner_supervisor.job.steps_dropped",
  runnerType: "runner_supervisor.runner.type",
  eventName: "runner_supervisor.event.name",
  phase: "runner_supervisor.job.phase",
  background: "runner_supervisor.step.background",
  stepEnded: "runner_supervisor.step.ended",
} as const;

export interface JobSpanOptions {
  readonly traceIdRule: TraceIdRule;
  readonly runnerName: string;
  readonly runnerType: string;
}

/** How the steps of a job were (or were not) read: "off" when its log was not read (too many jobs at once). */
export type StepsSource = StepsOutcome | { readonly state: "off" };

const STEPS_SOURCE: Readonly<Record<StepsSource["state"], string>> = {
  ok: "worker_log",
  "no-log": "no_log",
  "unknown-format": "unknown_format",
  off: "not_read",
};

const JOB_RESULT: Readonly<Record<JobStatus, string | undefined>> = {
  success: CICD_PIPELINE_TASK_RUN_RESULT_VALUE_SUCCESS,
  failed: CICD_PIPELINE_TASK_RUN_RESULT_VALUE_FAILURE,
  cancelled: CICD_PIPELINE_TASK_RUN_RESULT_VALUE_CANCELLATION,
  skipped: CICD_PIPELINE_TASK_RUN_RESULT_VALUE_SKIP,
  abandoned: CICD_PIPELINE_TASK_RUN_RESULT_VALUE_ERROR,
  unknown: undefined,
};

/** The runner's TaskResult names, as a step's result in the conventions. */
const STEP_RESULT: Readonly<Record<string, string>> = {
  Succeeded: CICD_PIPELINE_TASK_RUN_RESULT_VALUE_SUCCESS,
  SucceededWithIssues: CICD_PIPELINE_TASK_RUN_RESULT_VALUE_SUCCESS,
  Failed: CICD_PIPELINE_TASK_RUN_RESULT_VALUE_FAILURE,
  Canceled: CICD_PIPELINE_TASK_RUN_RESULT_VALUE_CANCELLATION,
  Cancelled: CICD_PIPELINE_TASK_RUN_RESULT_VALUE_CANCELLATION,
  Skipped: CICD_PIPELINE_TASK_RUN_RESULT_VALUE_SKIP,
  Abandoned: CICD_PIPELINE_TASK_RUN_RESULT_VALUE_ERROR,
};

const PHASE_BOUNDS: readonly [
  JobPhase,
  "startedAtMs" | "startedHookAtMs" | "completedHookAtMs",
  "startedHookAtMs" | "completedHookAtMs" | "completedLineAtMs",
][] = [
  ["setup", "startedAtMs", "startedHookAtMs"],
  ["steps", "startedHookAtMs", "completedHookAtMs"],
  ["cleanup", "completedHookAtMs", "completedLineAtMs"],
];

/**
 * Records one finished job as spans: the job (from its `Running job` line to its end), a child per
 * phase whose two moments were both seen, and a span per step the worker log showed (under the
 * steps phase, or under the composite step that ran it). Only what was seen: a job without hooks
 * has no phases and says so, one without a readable log has no steps and says why.
 */
export function recordJob(tracer: Tracer, job: FinishedJob, steps: StepsSource, o: JobSpanOptions): void {
  const moments = job.moments ?? {};
  // A job whose start the supervisor never saw (it started mid-job) has no honest start time.
  if (moments.startedAtMs === undefined) return;
  const endMs = moments.completedLineAtMs ?? job.finishedAtEpochSeconds * 1000;

  const remote = remoteParentOf(o.traceIdRule, job.context, job.name);
  const parent = remote
    ? trace.setSpanContext(ROOT_CONTEXT, { traceId: remote.traceId, spanId: remote.spanId, traceFlags: TraceFlags.SAMPLED, isRemote: true })
    : ROOT_CONTEXT;
  const jobSpan = tracer.startSpan(
    job.name,
    { kind: SpanKind.INTERNAL, startTime: moments.startedAtMs, attributes: jobAttributes(job, steps, o) },
    parent,
  );
  setResult(jobSpan, JOB_RESULT[job.status], job.status);
  const inJob = trace.setSpan(ROOT_CONTEXT, jobSpan);

  let stepsParent: Context = inJob;
  let stepsFromMs = moments.startedAtMs;
  for (const [phase, from, to] of PHASE_BOUNDS) {
    const start = moments[from];
    const end = moments[to];
    if (start === undefined || end === undefined || end < start) continue;
    const span = tracer.startSpan(phase, { kind: SpanKind.INTERNAL, startTime: start, attributes: { [ATTR.phase]: phase } }, inJob);
    span.end(end);
    if (phase === "steps") [stepsParent, stepsFromMs] = [trace.setSpan(inJob, span), start];
  }

  if (steps.state === "ok") recordSteps(tracer, steps.steps, stepsParent, stepsFromMs, endMs);
  jobSpan.end(endMs);
}

/**
 * The log's times are whole seconds, cut down: a step's span is held within its parent's (from
 * `fromMs`, the steps phase or the job, to the job's end), so it never starts before it.
 */
function recordSteps(tracer: Tracer, steps: readonly StepRecord[], parent: Context, fromMs: number, jobEndMs: number): void {
  const within = (ms: number) => Math.min(Math.max(ms, fromMs), jobEndMs);
  const contexts: Context[] = [];
  for (const step of steps) {
    const under = step.parent !== undefined ? (contexts[step.parent] ?? parent) : parent;
    const attributes: Attributes = { [ATTR_CICD_PIPELINE_TASK_NAME]: step.name };
    const result = step.result === undefined ? undefined : STEP_RESULT[step.result];
    if (result) attributes[ATTR_CICD_PIPELINE_TASK_RUN_RESULT] = result;
    if (step.background) attributes[ATTR.background] = true;
    if (step.endMs === undefined) attributes[ATTR.stepEnded] = false;
    if (result === CICD_PIPELINE_TASK_RUN_RESULT_VALUE_FAILURE && step.exitCode !== undefined)
      attributes[ATTR_PROCESS_EXIT_CODE] = step.exitCode;
    const startMs = within(step.startMs);
    const span = tracer.startSpan(step.name, { kind: SpanKind.INTERNAL, startTime: startMs, attributes }, under);
    setResult(span, result, step.result);
    contexts.push(trace.setSpan(parent, span));
    // A step the log never ended is shown up to the job's end, and marked so.
    span.end(step.endMs === undefined ? jobEndMs : Math.max(startMs, within(step.endMs)));
  }
}

/** Status by the conventions: an error for a failure (error.type says which), unset otherwise. */
function setResult(span: Span, result: string | undefined, asWritten: string | undefined): void {
  if (result === CICD_PIPELINE_TASK_RUN_RESULT_VALUE_FAILURE || result === CICD_PIPELINE_TASK_RUN_RESULT_VALUE_ERROR) {
    span.setAttribute(ATTR_ERROR_TYPE, result);
    span.setStatus({ code: SpanStatusCode.ERROR, ...(asWritten ? { message: asWritten } : {}) });
  }
}

function jobAttributes(job: FinishedJob, steps: StepsSource, o: JobSpanOptions): Attributes {
  const c = job.context;
  const attributes: Attributes = {
    [ATTR_CICD_PIPELINE_TASK_NAME]: job.name,
    [ATTR.jobStatus]: job.status,
    [ATTR.context]: c ? "hooks" : "missing",
    [ATTR.steps]: STEPS_SOURCE[steps.state],
    [ATTR_CICD_WORKER_NAME]: c?.runnerName || o.runnerName,
  };
  const result = JOB_RESULT[job.status];
  if (result) attributes[ATTR_CICD_PIPELINE_TASK_RUN_RESULT] = result;
  if (o.runnerType) attributes[ATTR.runnerType] = o.runnerType;
  if (steps.state === "ok" && steps.dropped > 0) attributes[ATTR.stepsDropped] = steps.dropped;
  if (!c) return attributes;
  const [owner, name] = c.repository.split("/") as [string, string];
  return {
    ...attributes,
    [ATTR_CICD_PIPELINE_NAME]: c.workflow,
    [ATTR_CICD_PIPELINE_RUN_ID]: c.runId,
    [ATTR.runAttempt]: c.runAttempt,
    [ATTR.jobKey]: c.job,
    [ATTR_VCS_PROVIDER_NAME]: VCS_PROVIDER_NAME_VALUE_GITHUB,
    [ATTR_VCS_OWNER_NAME]: owner,
    [ATTR_VCS_REPOSITORY_NAME]: name,
    ...(c.eventName ? { [ATTR.eventName]: c.eventName } : {}),
  };
}
