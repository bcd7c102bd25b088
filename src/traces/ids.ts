import { createHash } from "node:crypto";
import type { TraceIdRule } from "../config/options.js";
import type { JobContext } from "../messages/job-context.js";

/** The trace a job's span joins, and the span it hangs under there. */
export interface RemoteParent {
  readonly traceId: string;
  readonly spanId: string;
}

const sha256Hex = (input: string): string => createHash("sha256").update(input, "utf8").digest("hex");

/**
 * The ids the OpenTelemetry Collector's GitHub receiver (contrib, receiver/githubreceiver,
 * trace_event_handling.go) gives a workflow run's trace: it hashes the run id and attempt with
 * SHA-256, so anyone who knows them makes the same ids. The trace id is the first 32 hex
 * characters of sha256("{run_id}{run_attempt}t"); the run's root span id is characters 16 to 31
 * of sha256("{run_id}{run_attempt}s").
 */
export function receiverTraceId(runId: string, runAttempt: number): string {
  return sha256Hex(`${runId}${runAttempt}t`).slice(0, 32);
}

/** The receiver's root span of a run (see receiverTraceId). */
export function receiverRunSpanId(runId: string, runAttempt: number): string {
  return sha256Hex(`${runId}${runAttempt}s`).slice(16, 32);
}

/**
 * The receiver's span of a job when its check-run-id feature gate is off (the rule before
 * v0.151.0, "legacy" here): characters 16 to 31 of sha256("{run_id}{run_attempt}{job name}"),
 * the job's display name being what the runner prints in `Running job: NAME`. With the gate on
 * (the default since v0.151.0) the receiver hashes the job's check run id instead, which the
 * runner does not give its hooks, so that span cannot be named from here.
 */
export function receiverLegacyJobSpanId(runId: string, runAttempt: number, jobDisplayName: string): string {
  return sha256Hex(`${runId}${runAttempt}${jobDisplayName}`).slice(16, 32);
}

/** Where a job's span goes under the rule: undefined starts a trace of its own (random ids, or no context). */
export function remoteParentOf(rule: TraceIdRule, context: JobContext | undefined, jobDisplayName: string): RemoteParent | undefined {
  if (rule === "random" || !context) return undefined;
  const traceId = receiverTraceId(context.runId, context.runAttempt);
  const spanId =
    rule === "github-receiver-legacy"
      ? receiverLegacyJobSpanId(context.runId, context.runAttempt, jobDisplayName)
      : receiverRunSpanId(context.runId, context.runAttempt);
  return { traceId, spanId };
}
