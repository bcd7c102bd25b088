import { openCgroup, type OpenedCgroup } from "./cgroup/read.js";
import { createCollectors, type CollectorsOptions } from "./collectors/index.js";
import type { OptionValues } from "./config/config.js";
import { createEnricher, type EnricherOptions } from "./enrich/enricher.js";
import { createJobMeter } from "./enrich/job-meter.js";
import { createLineTap, type LineTap } from "./io/line-tap.js";
import { describeError, logAtMost, type Log } from "./common/log.js";
import type { ChannelMessage } from "./messages/message.js";
import { createRegistries } from "./metrics/registries.js";
import { createRenderer, type Exposition, type Format } from "./metrics/render.js";
import type { Observation, SpanOutcome } from "./observation.js";
import { parseLine } from "./runner/parse.js";
import { RunnerTracker, type Change } from "./runner/state.js";
import { systemClock, type Clock } from "./common/clock.js";

export type PipelineOptions = Pick<OptionValues, "runnerName" | "runnerType" | "jobResources"> & CollectorsOptions & EnricherOptions;

/**
 * The observing half, one way: the runner's lines are parsed into events, the tracker turns
 * events into changes, the enricher adds what the job's context tells, and the collectors turn
 * it all into metrics, which the renderer reads. It never touches the child or its output.
 */
export interface Pipeline {
  /** A line tap for one of the child's streams (each stream splits its own lines). */
  tap(): LineTap;
  /** A message from a job hook or a workflow step (already checked and bounded). */
  channelMessage(message: ChannelMessage): void;
  /** A message on the channel that was not understood. */
  channelRejected(): void;
  /** The child has exited and its output is read: close any job in flight. */
  childExited(): void;
  /** The supervisor holds back a SIGTERM until the job in flight finishes, or no longer does. */
  draining(draining: boolean): void;
  /** A stop reached the runner (forwarded, or after a drain ran past its timeout). */
  stopping(): void;
  /** The trace exporter finished with `count` spans this way. */
  traceSpans(outcome: SpanOutcome, count: number): void;
  /** The name of the job in flight, if any. */
  jobInFlight(): string | undefined;
  /** Calls the listener with every observation, after the collectors have it; returns an unsubscribe. */
  subscribe(listener: (observation: Observation) => void): () => void;
  /** Renders the metrics for a scrape or a push; the only way they are read. */
  readonly render: (format: Format) => Promise<Exposition>;
  /** Resolves when every queue-time look-up started so far has finished (for a final push). */
  settled(): Promise<void>;
}

/**
 * `cgroup` opens the container's cgroup for the job meter (the real one unless JOB_RESOURCES is
 * false; tests pass their own).
 */
export function createPipeline(
  o: PipelineOptions,
  log: Log,
  clock: Clock = systemClock,
  cgroup: (() => Promise<OpenedCgroup>) | undefined = o.jobResources ? openCgroup : undefined,
): Pipeline {
  const registries = createRegistries({ runner_name: o.runnerName, runner_type: o.runnerType });
  const collectors = createCollectors(o, registries.both, clock);
  const listeners = new Set<(observation: Observation) => void>();
  // Moves with every observation, so a rendering is reused only while nothing can have changed.
  let version = 0;
  // A failing collector or listener must cost only its own update: the others (draining among
  // the listeners) still hear of it, and the runner never does.
  const reportFailure = logAtMost(3, log);
  const each = <T>(items: Iterable<T>, call: (item: T) => void): void => {
    for (const item of items) {
      try {
        call(item);
      } catch (error) {
        reportFailure(`metrics update failed (the runner is unaffected): ${describeError(error)}`);
      }
    }
  };
  const deliver = (observation: Observation): void => {
    each(collectors, (collector) => collector.observe(observation));
    version++;
    each(listeners, (listener) => listener(observation));
  };
  const meter = createJobMeter(cgroup?.(), deliver, log);
  const enricher = createEnricher(o, (change) => meter.take(change), log, clock);
  const tracker = new RunnerTracker(clock);
  const apply = (changes: readonly Change[]): void => {
    for (const change of changes) enricher.take(change);
  };

  const onLine = (line: string): void => {
    const event = parseLine(line);
    if (event) apply(tracker.apply(event));
  };
  // A failure here must never reach the runner's output: say so (a few times at most) and go on.
  const reportReadError = logAtMost(3, log);
  const onError = (error: unknown): void => reportReadError(`line reader error (output is unaffected): ${describeError(error)}`);

  return {
    tap: () => createLineTap(onLine, onError),
    channelMessage: (message) => {
      if (message.kind === "cache") {
        deliver({ type: "channel-message", kind: "cache_report" });
        deliver({ type: "cache-report", cacheType: message.cacheType, hits: message.hits, misses: message.misses });
        return;
      }
      deliver({ type: "channel-message", kind: message.hook === "job-started" ? "job_started" : "job_completed" });
      apply(tracker.hookContext(message.context, message.hook));
    },
    channelRejected: () => deliver({ type: "channel-message", kind: "rejected" }),
    childExited: () => apply(tracker.apply({ type: "child-exited" })),
    draining: (draining) => deliver({ type: "draining", draining }),
    stopping: () => meter.take({ type: "stopping" }),
    traceSpans: (outcome, count) => deliver({ type: "trace-spans", outcome, count }),
    jobInFlight: () => tracker.currentJob,
    subscribe: (listener) => {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    render: createRenderer(registries, () => version),
    settled: () => enricher.settled(),
  };
}
