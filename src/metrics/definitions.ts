import { Counter, Gauge, Histogram, Registry, type RegistryContentType } from "prom-client";
import { LOOKUP_FAILURE_REASONS } from "../context/queue-time.js";
import { JOB_STATUSES } from "../runner/jobs.js";

/** Reasons for the relaunch counter: the two "Runner listener exit ... re-launch" lines. */
export const RELAUNCH_REASONS = ["retryable", "updating"] as const;
/** Reasons for the connection-error counter. */
export const CONNECTION_ERROR_REASONS = ["connect_error", "session_conflict", "session_failed", "runner_removed"] as const;

/** Results of a cache report. */
export const CACHE_RESULTS = ["hit", "miss"] as const;
/** cache_type for a type outside the configured list. */
export const OTHER_CACHE_TYPE = "other";
/** What arrived over the job-context channel. */
export const CHANNEL_MESSAGE_KINDS = ["job_started", "job_completed", "cache_report", "rejected"] as const;
export type ChannelMessageKind = (typeof CHANNEL_MESSAGE_KINDS)[number];

const DEFAULT_QUEUE_TIME_BUCKETS = [1, 5, 10, 30, 60, 120, 300, 600, 1800, 3600, 7200, 21600];
/** Deploy lead and recovery times in DORA's bands: an hour, a day, a week, a month (no panel reads finer buckets). */
const DEPLOY_BUCKETS = [3600, 86400, 604800, 2592000];


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
  /** Opt-in job labels (repository, workflow) added to the job metrics; none by default. */
  readonly jobLabelNames?: readonly string[];
  /** The job labels of a job without context, pre-seeded at start ({} without job labels). */
  readonly unknownJobLabels?: Readonly<Record<string, string>>;
  readonly queueTimeBuckets?: readonly number[];
  /** cache_type values pre-seeded (plus other). */
  readonly cacheTypes?: readonly string[];
  /** Register the deploy metrics (a deploy pattern is configured). */
  readonly deploys?: boolean;
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

/** A labelled gauge that is absent (not even its HELP line) until its first value. */
export class LazyGauge<L extends string> {
  private shown = false;
  private readonly gauge: Gauge<L>;
  constructor(
    name: string,
    help: string,
    labelNames: readonly L[],
    private readonly registries: readonly Registry<RegistryContentType>[],
  ) {
    this.gauge = new Gauge<L>({ name, help, labelNames: [...labelNames], registers: [] });
  }

  set(labels: Partial<Record<L, string>>, value: number): void {
    this.gauge.set(labels, value);
    if (this.shown) return;
    for (const registry of this.registries) registry.registerMetric(this.gauge);
    this.shown = true;
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
  const jobLabelNames = [...(options.jobLabelNames ?? [])];
  const unknownJobLabels = options.unknownJobLabels ?? {};
  const deployRegisters = options.deploys ? registers : [];

  const metrics = {
    status: new Gauge({
      name: "github_runner_status",
      help: "1 while the runner's listener is connected to GitHub (listening or running a job), 0 otherwise.",
      registers,
    }),
    busy: new Gauge({ name: "github_runner_busy", help: "1 while the runner is running a job, 0 otherwise.", registers }),
    jobs: new Counter<string>({
      name: "github_runner_jobs_total",
      help: "Jobs finished, by result (SucceededWithIssues counts as success; unknown: the job never printed a result).",
      labelNames: ["status", ...jobLabelNames],
      registers,
    }),
    jobDuration: new Histogram<string>({
      name: "github_runner_job_duration_seconds",
      help: "Time from a job's 'Running job' line to its completed line (or to when it was closed as unknown).",
      labelNames: ["status", ...jobLabelNames],
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
      name: "github_runner_draining",
      help: "1 while the supervisor holds back a SIGTERM until the job in flight finishes (draining), 0 otherwise.",
      registers,
    }),
    queueTime: new OptionalGauge(
      "github_runner_queue_time_seconds",
      "Queue time of the last job whose look-up finished: GitHub's created_at to started_at for the job; absent when that look-up failed.",
      registers,
    ),
    queueTimeHistogram: new Histogram<string>({
      name: "github_runner_job_queue_time_seconds",
      help: "Queue time of each job whose look-up succeeded: from the job's created_at to its started_at in GitHub's REST API.",
      labelNames: jobLabelNames,
      buckets: [...(options.queueTimeBuckets ?? DEFAULT_QUEUE_TIME_BUCKETS)],
      registers,
    }),
    queueTimeFailures: new Counter({
      name: "github_runner_queue_time_lookup_failures_total",
      help: "Jobs without a queue time, by reason (no_token: no token configured; no_context: no hook reached the supervisor; the rest: how the API look-up failed).",
      labelNames: ["reason"] as const,
      registers,
    }),
    cacheRequests: new Counter({
      name: "github_runner_cache_requests_total",
      help: "Cache look-ups reported by workflow steps (runner-supervisor report cache), by cache type and result.",
      labelNames: ["cache_type", "result"] as const,
      registers,
    }),
    cacheHitRate: new LazyGauge(
      "github_runner_cache_hit_rate",
      "Share of reported cache look-ups that hit since the supervisor started, by cache type (from github_runner_cache_requests_total; absent before the first report).",
      ["cache_type"],
      registers,
    ),
    channelMessages: new Counter({
      name: "github_runner_context_messages_total",
      help: "Messages from the runner's job hooks and workflow steps over the local channel, by kind (rejected: malformed or oversized).",
      labelNames: ["kind"] as const,
      registers,
    }),
    deployments: new Counter<string>({
      name: "github_runner_deployments_total",
      help: "Deploy jobs (workflow, job key or environment matching DEPLOY_PATTERN) finished, by result.",
      labelNames: ["result", ...jobLabelNames],
      registers: deployRegisters,
    }),
    deployLeadTime: new Histogram<string>({
      name: "github_runner_deploy_lead_time_seconds",
      help: "Lead time for changes of successful deploy jobs: from the pushed commit's timestamp in the event payload to the deploy job's completion.",
      labelNames: jobLabelNames,
      buckets: DEPLOY_BUCKETS,
      registers: deployRegisters,
    }),
    deployRecoveryTime: new Histogram<string>({
      name: "github_runner_deploy_recovery_time_seconds",
      help: "Pipeline recovery time seen by this runner: from a failed deploy job to the next successful deploy of the same repository and workflow.",
      labelNames: jobLabelNames,
      buckets: DEPLOY_BUCKETS,
      registers: deployRegisters,
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
  // A job without context cannot be classified as a deploy: with job labels, deploy counters start per repository and workflow.
  seedJobLabels(metrics, unknownJobLabels, (options.deploys ?? false) && jobLabelNames.length === 0);
  for (const reason of LOOKUP_FAILURE_REASONS) metrics.queueTimeFailures.inc({ reason }, 0);
  for (const cacheType of [...(options.cacheTypes ?? []), OTHER_CACHE_TYPE]) {
    for (const result of CACHE_RESULTS) metrics.cacheRequests.inc({ cache_type: cacheType, result }, 0);
  }
  for (const kind of CHANNEL_MESSAGE_KINDS) metrics.channelMessages.inc({ kind }, 0);
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

/** Pre-seeds the job counters (and deploy counters) at 0 for one set of job labels. */
export function seedJobLabels(metrics: RunnerMetrics, labels: Readonly<Record<string, string>>, deploys: boolean): void {
  for (const status of JOB_STATUSES) {
    metrics.jobs.inc({ status, ...labels }, 0);
    metrics.jobDuration.zero({ status, ...labels });
    if (deploys) metrics.deployments.inc({ result: status, ...labels }, 0);
  }
  metrics.queueTimeHistogram.zero(labels);
  if (deploys) {
    metrics.deployLeadTime.zero(labels);
    metrics.deployRecoveryTime.zero(labels);
  }
}
