import { join } from "node:path";
import { followWorkerLog, type Follower } from "../io/worker-log-follower.js";
import { describeError, logAtMost, type Log } from "../common/log.js";
import type { Observation } from "../observation.js";
import { StepTimeline } from "../runner/worker-log.js";
import { createTracerProvider, type ExportOptions } from "./export.js";
import { recordJob, type JobSpanOptions } from "./job-spans.js";

export type TracingOptions = ExportOptions & JobSpanOptions & { readonly runnerHome: string };

/** Every job as a trace, while the supervisor runs. */
export interface Tracing {
  /** Hears one observation, seen at `atMs` (Unix ms): observations that arrived while this module loaded come late, with their own time. */
  observe(observation: Observation, atMs: number): void;
  /** Records what is still pending and sends what is queued, for at most `withinMs`; then stops. */
  close(withinMs: number): Promise<void>;
}

/** How long a finished job waits for its worker log's last lines before its spans are made. */
const LOG_SETTLE_MS = 3_000;
/**
 * Jobs whose spans wait for their logs at once. A runner runs one job at a time, so this is
 * reached only when jobs end faster than their logs can be read; further jobs then get their
 * job and phase spans without steps (runner_supervisor.job.steps="not_read"), and memory stays bounded.
 */
const MAX_PENDING = 8;

/**
 * Loaded only when an OTLP endpoint is set (services import this module dynamically, the bundle
 * keeps it in a file of its own). Hears the observations like a collector does; follows the
 * worker log of each job in flight; records each finished job as spans; the SDK exports them in
 * the background. Nothing here can reach the runner: a failure costs a job's spans, no more.
 */
export function startTracing(o: TracingOptions, log: Log): Tracing {
  const provider = createTracerProvider(o);
  const tracer = provider.getTracer("runner-supervisor", o.serviceVersion);
  const diagDir = join(o.runnerHome, "_diag");
  const taken = new Set<string>();
  const pending = new Set<Promise<void>>();
  const reportFormat = logAtMost(1, log);
  const reportNoLog = logAtMost(1, log);
  const reportFailure = logAtMost(3, log);
  let job: { timeline: StepTimeline; follower: Follower } | undefined;

  let closed = false;

  const started = (atMs: number): void => {
    // A job never starts before the last one finished; were it to, the old follower still stops.
    void job?.follower.finish();
    job = undefined;
    if (pending.size >= MAX_PENDING) return;
    const timeline = new StepTimeline();
    const follower = followWorkerLog({
      diagDir,
      notBeforeMs: atMs,
      taken,
      onLine: (line) => timeline.line(line),
      enough: () => timeline.formatUnknown,
    });
    job = { timeline, follower };
  };

  const finished = (observation: Extract<Observation, { type: "job-finished" }>): void => {
    const own = job;
    job = undefined;
    const done = (async () => {
      if (own) await withinTime(own.follower.finish(), LOG_SETTLE_MS);
      const outcome = own ? own.timeline.outcome() : undefined;
      if (outcome?.state === "unknown-format") {
        reportFormat(
          `traces: the worker log ${own?.follower.file() ?? ""} is not in the form this version reads (did the runner change it?); jobs keep their job and phase spans, without step spans`,
        );
      } else if (outcome?.state === "no-log") {
        reportNoLog(`traces: no worker log found in ${diagDir} for job ${JSON.stringify(observation.name)}; its trace has no step spans`);
      }
      recordJob(tracer, observation, outcome ?? { state: "off" }, o);
    })().catch((error: unknown) =>
      reportFailure(`traces: a job's spans could not be made (the runner is unaffected): ${describeError(error)}`),
    );
    pending.add(done);
    void done.finally(() => pending.delete(done));
  };

  return {
    observe: (observation, atMs) => {
      if (closed) return;
      if (observation.type === "job-started") started(atMs);
      else if (observation.type === "job-finished") finished(observation);
    },
    close: async (withinMs) => {
      closed = true;
      void job?.follower.finish();
      job = undefined;
      const deadline = Date.now() + withinMs;
      await withinTime(Promise.all([...pending]), withinMs);
      await withinTime(provider.forceFlush(), Math.max(0, deadline - Date.now()));
      await withinTime(provider.shutdown(), Math.max(0, deadline - Date.now()));
    },
  };
}

/** Waits for the promise, or for the time, whichever comes first; never rejects. */
async function withinTime(promise: Promise<unknown>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([promise.catch(() => undefined), new Promise<void>((resolve) => (timer = setTimeout(resolve, ms)))]);
  clearTimeout(timer);
}
