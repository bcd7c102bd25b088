import type { Config } from "./config.js";
import { isDeploy, leadTimeSeconds, RecoveryClock } from "./context/deploys.js";
import { LabelPolicy } from "./context/label-policy.js";
import type { ChannelMessage } from "./context/messages.js";
import { QueueTimeLookups } from "./context/queue-time.js";
import { createLineTap, type LineTap } from "./io/line-tap.js";
import type { Log } from "./log.js";
import { createRenderer, type Exposition, type Format } from "./metrics/exposition.js";
import { createMetrics, type Registries } from "./metrics/definitions.js";
import { recordCache, recordChange, recordDraining, recordChannelMessage, recordDeploy, recordQueueTime } from "./metrics/recorder.js";
import { parseLine } from "./runner/parse.js";
import { RunnerTracker, systemClock, type Change, type Clock, type FinishedJob } from "./runner/state.js";
import { VERSION } from "./version.js";

/** The observing half: lines and hook messages in, metrics out. It never touches the child or its output. */
export interface Observer {
  readonly registries: Registries;
  /** Renders the metrics for a scrape or a push; the only way they are read. */
  readonly render: (format: Format) => Promise<Exposition>;
  readonly tracker: RunnerTracker;
  /** A line tap for one of the child's streams (each stream splits its own lines). */
  tap(): LineTap;
  /** A message from a job hook or a workflow step (already checked and bounded). */
  channelMessage(message: ChannelMessage): void;
  /** A message on the channel that was not understood. */
  channelRejected(): void;
  /** The child has exited and its output is read: close any job in flight. */
  childExited(): void;
  /** The supervisor holds back a SIGTERM until the job in flight finishes (or no longer does). */
  draining(draining: boolean): void;
  /** Calls the listener whenever a job ends (with its result, or closed as unknown); returns an unsubscribe. */
  onJobFinished(listener: (job: FinishedJob) => void): () => void;
  /** Calls the listener at every job start (its "Running job" line). */
  onJobStarted(listener: () => void): () => void;
  /** Resolves when every queue-time look-up started so far has finished (for a final push). */
  lookupsSettled(): Promise<void>;
}

export function createObserver(config: Config, log: Log, clock: Clock = systemClock): Observer {
  const labels = new LabelPolicy({
    names: config.jobLabels ?? [],
    patterns: { repository: config.repositoryLabelPattern, workflow: config.workflowLabelPattern },
    maxValues: config.labelValuesMax ?? 20,
  });
  const deploys = config.deployPattern !== undefined;
  const { registries, metrics } = createMetrics({
    runnerName: config.runnerName,
    runnerType: config.runnerType,
    initialRunnerVersion: config.runnerVersion,
    supervisorVersion: VERSION,
    jobDurationBuckets: config.jobDurationBuckets,
    startEpochMs: clock.epochMs(),
    monotonicMs: () => clock.monotonicMs(),
    jobLabelNames: labels.names,
    unknownJobLabels: labels.labelsFor(undefined),
    ...(config.queueTimeBuckets ? { queueTimeBuckets: config.queueTimeBuckets } : {}),
    cacheTypes: config.cacheTypes ?? [],
    deploys,
  });
  const cacheTypes = new Set(config.cacheTypes ?? []);
  const lookups = config.githubApiToken
    ? new QueueTimeLookups({
        apiUrl: config.githubApiUrl,
        token: config.githubApiToken,
        timeoutMs: config.githubApiTimeout * 1000,
        retries: config.githubApiRetries,
        userAgent: `runner-supervisor/${VERSION}`,
      })
    : undefined;
  const inFlight = new Set<Promise<void>>();
  const recovery = new RecoveryClock();
  const tracker = new RunnerTracker(clock);
  let failures = 0;
  const jobListeners = new Set<(job: FinishedJob) => void>();
  const startListeners = new Set<() => void>();
  const jobLabels = (context: Parameters<typeof labels.labelsFor>[0]) => labels.labelsFor(context);

  const startLookup = (change: Extract<Change, { type: "job-context" }>): void => {
    if (!lookups) {
      recordQueueTime(metrics, {}, { ok: false, reason: "no_token" });
      return;
    }
    const runnerName = change.context.runnerName || config.runnerName;
    const done = lookups.lookup(change.context, runnerName, change.jobName).then(
      (result) => {
        recordQueueTime(metrics, jobLabels(change.context), result);
        registries.changes.bump();
      },
      (error: unknown) => log(`queue-time look-up error: ${error instanceof Error ? error.message : String(error)}`),
    );
    inFlight.add(done);
    void done.finally(() => inFlight.delete(done));
  };

  const jobFinished = (job: FinishedJob): void => {
    if (!job.context) recordQueueTime(metrics, {}, { ok: false, reason: lookups ? "no_context" : "no_token" });
    if (job.context && isDeploy(job.context, config.deployPattern)) {
      const lead = job.status === "success" ? leadTimeSeconds(job.context, job.finishedAtEpochSeconds) : undefined;
      const recovered = recovery.finished(job.context, job.status, job.finishedAtEpochSeconds);
      recordDeploy(metrics, jobLabels(job.context), job.status, lead, recovered);
    }
  };

  const record = (change: Change): void => {
    recordChange(metrics, change, jobLabels, deploys);
    if (change.type === "job-context") startLookup(change);
    if (change.type === "job-finished") jobFinished(change);
    registries.changes.bump();
    if (change.type === "job-finished") for (const listener of jobListeners) listener(change);
    if (change.type === "job-started") for (const listener of startListeners) listener();
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
    render: createRenderer(registries),
    tracker,
    tap: () => createLineTap(onLine, onError),
    channelMessage: (message) => {
      if (message.kind === "cache") {
        recordChannelMessage(metrics, "cache_report");
        recordCache(metrics, cacheTypes, message.cacheType, message.hits, message.misses);
        registries.changes.bump();
        return;
      }
      recordChannelMessage(metrics, message.hook === "job-started" ? "job_started" : "job_completed");
      registries.changes.bump();
      for (const change of tracker.hookContext(message.context, message.hook)) record(change);
    },
    channelRejected: () => {
      recordChannelMessage(metrics, "rejected");
      registries.changes.bump();
    },
    childExited: () => {
      for (const change of tracker.apply({ type: "child-exited" })) record(change);
    },
    draining: (draining) => {
      recordDraining(metrics, draining);
      registries.changes.bump();
    },
    onJobFinished: (listener) => {
      jobListeners.add(listener);
      return () => jobListeners.delete(listener);
    },
    onJobStarted: (listener) => {
      startListeners.add(listener);
      return () => startListeners.delete(listener);
    },
    lookupsSettled: async () => {
      await Promise.all([...inFlight]);
    },
  };
}
