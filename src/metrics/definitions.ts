import { Counter, Gauge, Histogram, Registry, type RegistryContentType } from "prom-client";
import { JOB_STATUSES } from "../runner/jobs.js";

/** Reasons for the relaunch counter: the two "Runner listener exit ... re-launch" lines. */
export const RELAUNCH_REASONS = ["retryable", "updating"] as const;
/** Reasons for the connection-error counter. */
export const CONNECTION_ERROR_REASONS = ["connect_error", "session_conflict", "session_failed", "runner_removed"] as const;

/** Name of the draining gauge, which the process side sets through the recorder. */
export const DRAINING_METRIC = "github_runner_draining";

/** Counts metric updates, so a rendered scrape can be reused until something changes. */
export class ChangeCounter {
  private count = 0;
  bump(): void {
    this.count++;
  }
  get value(): number {
    return this.count;
  }
}

/** Both formats are served from registries holding the same metric objects. */
export interface Registries {
  readonly text: Registry<RegistryContentType>;
  readonly openMetrics: Registry<RegistryContentType>;
  /** Bumped by every writer of the metrics. */
  readonly changes: ChangeCounter;
}

export interface MetricsOptions {
  readonly runnerName: string;
  readonly runnerType: string;
  readonly initialRunnerVersion: string;
  readonly supervisorVersion: string;
  readonly jobDurationBuckets: readonly number[];
  /** Wall-clock start of the supervisor, in milliseconds since the epoch. */
  readonly startEpochMs: number;
  /** Monotonic clock for the uptime gauge. */
  readonly monotonicMs: () => number;
}

/**
 * A gauge without labels that is absent, not 0, while it has no value: prom-client always
 * renders an unlabelled gauge, so it is registered only while it holds one.
 */
export class OptionalGauge {
  private shown = false;
  private readonly gauge: Gauge;
  constructor(
    private readonly name: string,
    help: string,
    private readonly registries: readonly Registry<RegistryContentType>[],
  ) {
    this.gauge = new Gauge({ name, help, registers: [] });
  }

  set(value: number): void {
    this.gauge.set(value);
    if (this.shown) return;
    for (const registry of this.registries) registry.registerMetric(this.gauge);
    this.shown = true;
  }

  clear(): void {
    if (!this.shown) return;
    for (const registry of this.registries) registry.removeSingleMetric(this.name);
    this.shown = false;
  }
}

/** Every metric the supervisor exposes, defined in this one place. */
export function createMetrics(options: MetricsOptions) {
  const registries: Registries = {
    text: new Registry<RegistryContentType>(),
    openMetrics: new Registry<RegistryContentType>(),
    changes: new ChangeCounter(),
  };
  registries.text.setContentType(Registry.PROMETHEUS_CONTENT_TYPE);
  registries.openMetrics.setContentType(Registry.OPENMETRICS_CONTENT_TYPE);
  const labels = { runner_name: options.runnerName, runner_type: options.runnerType };
  registries.text.setDefaultLabels(labels);
  registries.openMetrics.setDefaultLabels(labels);
  const registers = [registries.text, registries.openMetrics];
  const startMono = options.monotonicMs();

  const metrics = {
    status: new Gauge({
      name: "github_runner_status",
      help: "1 while the runner's listener is connected to GitHub (listening or running a job), 0 otherwise.",
      registers,
    }),
    busy: new Gauge({ name: "github_runner_busy", help: "1 while the runner is running a job, 0 otherwise.", registers }),
    jobs: new Counter({
      name: "github_runner_jobs_total",
      help: "Jobs finished, by result (SucceededWithIssues counts as success; unknown: the job never printed a result).",
      labelNames: ["status"] as const,
      registers,
    }),
    jobDuration: new Histogram({
      name: "github_runner_job_duration_seconds",
      help: "Time from a job's 'Running job' line to its completed line (or to when it was closed as unknown).",
      labelNames: ["status"] as const,
      buckets: [...options.jobDurationBuckets],
      registers,
    }),
    jobStartTime: new OptionalGauge("github_runner_job_start_time_seconds", "Unix time the job in flight started; absent while idle.", registers),
    lastJobCompletion: new Gauge({
      name: "github_runner_last_job_completion_timestamp_seconds",
      help: "Unix time the last job with this status finished; absent until one has.",
      labelNames: ["status"] as const,
      registers,
    }),
    uptime: new Gauge({
      name: "github_runner_uptime_seconds",
      help: "Seconds since the supervisor started the runner.",
      registers,
      collect() {
        this.set(Math.round((options.monotonicMs() - startMono) / 10) / 100);
      },
    }),
    startTime: new Gauge({
      name: "github_runner_start_time_seconds",
      help: "Unix time the supervisor started the runner.",
      registers,
    }),
    info: new Gauge({
      name: "github_runner_info",
      help: "Always 1; the version label is the runner's version as it printed it (the configured RUNNER_VERSION until then).",
      labelNames: ["version"] as const,
      registers,
    }),
    relaunches: new Counter({
      name: "github_runner_listener_relaunches_total",
      help: "Times the runner's listener exited and was relaunched by run.sh, by reason.",
      labelNames: ["reason"] as const,
      registers,
    }),
    connectionErrors: new Counter({
      name: "github_runner_connection_errors_total",
      help: "Connection problems the runner reported, by reason (connect_error counts the first error of a streak).",
      labelNames: ["reason"] as const,
      registers,
    }),
    updates: new Counter({ name: "github_runner_updates_total", help: "Self-updates the runner started.", registers }),
    updateFailures: new Counter({
      name: "github_runner_update_failures_total",
      help: "Self-updates the runner reported as failed.",
      registers,
    }),
    draining: new Gauge({
      name: DRAINING_METRIC,
      help: "1 while the supervisor holds back a SIGTERM until the job in flight finishes (draining), 0 otherwise.",
      registers,
    }),
    supervisorInfo: new Gauge({
      name: "github_runner_supervisor_info",
      help: "Always 1; the version label is runner-supervisor's own version.",
      labelNames: ["version"] as const,
      registers,
    }),
  };

  // Pre-seed every known label set at 0 so rate() and increase() see the first event.
  metrics.status.set(0);
  metrics.busy.set(0);
  for (const status of JOB_STATUSES) {
    metrics.jobs.inc({ status }, 0);
    metrics.jobDuration.zero({ status });
  }
  for (const reason of RELAUNCH_REASONS) metrics.relaunches.inc({ reason }, 0);
  for (const reason of CONNECTION_ERROR_REASONS) metrics.connectionErrors.inc({ reason }, 0);
  metrics.updates.inc(0);
  metrics.draining.set(0);
  metrics.updateFailures.inc(0);
  metrics.startTime.set(options.startEpochMs / 1000);
  metrics.info.set({ version: options.initialRunnerVersion }, 1);
  metrics.supervisorInfo.set({ version: options.supervisorVersion }, 1);

  return { registries, metrics };
}

export type RunnerMetrics = ReturnType<typeof createMetrics>["metrics"];
