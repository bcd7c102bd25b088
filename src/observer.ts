import type { Config } from "./config.js";
import { createLineTap, type LineTap } from "./io/line-tap.js";
import type { Log } from "./log.js";
import { createMetrics, type Registries } from "./metrics/definitions.js";
import { recordChange } from "./metrics/recorder.js";
import { parseLine } from "./runner/parse.js";
import { RunnerTracker, systemClock, type Change, type Clock, type FinishedJob } from "./runner/state.js";
import { VERSION } from "./version.js";

/** The observing half: lines in, metrics out. It never touches the child or its output. */
export interface Observer {
  readonly registries: Registries;
  readonly tracker: RunnerTracker;
  /** A line tap for one of the child's streams (each stream splits its own lines). */
  tap(): LineTap;
  /** The child has exited and its output is read: close any job in flight. */
  childExited(): void;
  /** Calls the listener whenever a job ends (with its result, or closed as unknown); returns an unsubscribe. */
  onJobFinished(listener: (job: FinishedJob) => void): () => void;
}

export function createObserver(config: Config, log: Log, clock: Clock = systemClock): Observer {
  const { registries, metrics } = createMetrics({
    runnerName: config.runnerName,
    runnerType: config.runnerType,
    initialRunnerVersion: config.runnerVersion,
    supervisorVersion: VERSION,
    jobDurationBuckets: config.jobDurationBuckets,
    startEpochMs: clock.epochMs(),
    monotonicMs: () => clock.monotonicMs(),
  });
  const tracker = new RunnerTracker(clock);
  let failures = 0;
  const jobListeners = new Set<(job: FinishedJob) => void>();
  const record = (change: Change): void => {
    recordChange(metrics, change);
    registries.changes.bump();
    if (change.type === "job-finished") for (const listener of jobListeners) listener(change);
  };

  const onLine = (line: string): void => {
    const event = parseLine(line);
    if (event) for (const change of tracker.apply(event)) record(change);
  };
  // A failure here must never reach the runner's output: say so (a few times at most) and go on.
  const onError = (error: unknown): void => {
    if (++failures <= 3) log(`line reader error (output is unaffected): ${error instanceof Error ? error.message : String(error)}`);
  };

  return {
    registries,
    tracker,
    tap: () => createLineTap(onLine, onError),
    childExited: () => {
      for (const change of tracker.apply({ type: "child-exited" })) record(change);
    },
    onJobFinished: (listener) => {
      jobListeners.add(listener);
      return () => jobListeners.delete(listener);
    },
  };
}
