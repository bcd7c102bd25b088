import { hostname } from "node:os";
import { SHORT_NAME, SHORT_NAME_RULE } from "../common/names.js";
import type { TextPattern } from "./linear-pattern.js";
import {
  oneOf,
  parseBaseUrl,
  parseOtlpHeaders,
  parseBoolean,
  parseBuckets,
  parseByteBuckets,
  parseCacheTypes,
  parseExitCodes,
  parseInteger,
  parseJobLabels,
  parseSearchPattern,
  parseWholeValuePattern,
  parsePort,
  parseSeconds,
  parseSignalName,
  parseToken,
  text,
  type JobLabelName,
  type Parser,
} from "./parsers.js";

/**
 * Every setting in one table: its flag, its environment variable, its default and how a raw
 * string becomes a value. The CLI builds its help from this table, config.ts resolves it and
 * derives the Config type from it, so a flag, its variable, its type and the docs never drift apart.
 */
export interface OptionSpec<T> {
  /** Long flag without dashes, e.g. "metrics-port". */
  readonly flag: string;
  /** Placeholder in help, e.g. "<port>"; absent for on/off switches. */
  readonly arg?: string;
  readonly env: string;
  readonly description: string;
  /** The default as written in help and docs. */
  readonly defaultText: string;
  /** The default value itself (computed when needed, e.g. the host name). */
  readonly defaultValue: () => T;
  /** Turns a raw value into T, or returns an error naming what is accepted. */
  readonly parse: Parser<T>;
  /**
   * A value that must never be printed: "value" (a token: a rejected one is described, not
   * shown) or "credentials" (a URL that may carry a password: shown without its user info);
   * or "file": the path may be shown, but what it holds is secret (keys, password hashes).
   */
  readonly secret?: "value" | "credentials" | "file";
  /** Kept out of the runner's environment: jobs run strangers' code. */
  /** Kept from the runner's environment: always, or only while the supervisor's traces are on. */
  readonly private?: true | "with-traces";
}

// Printable, no control characters, bounded: it becomes a label value on every series.
const NAME_PATTERN = /^[^\p{Cc}]{1,128}$/u;
// Job durations and queue times: a second to six hours (GitHub's default job timeout), no finer
// than the dashboard's quantiles and alerts can use.
const DEFAULT_TIME_BUCKETS = [1, 5, 10, 30, 60, 120, 300, 600, 1800, 3600, 7200, 21600];
// Job phases: a few bands that tell a quick set-up or clean-up from a slow one (an image pull, a
// cache restore); each costs 18 series (3 phases x 6 statuses), and the dashboard reads only _sum.
const DEFAULT_PHASE_BUCKETS = [5, 30, 120, 600];
// Per-job CPU seconds: from a quick lint (a second) to a four-hour build; 11 series a label set.
const DEFAULT_CPU_BUCKETS = [1, 10, 30, 60, 300, 900, 3600, 14400];
// Per-job peak memory: 256 MiB to 32 GiB in doublings, the sizes runner containers are given.
const DEFAULT_MEMORY_BUCKETS = [28, 29, 30, 31, 32, 33, 34, 35].map((power) => 2 ** power);
const DEFAULT_CACHE_TYPES = ["actions", "apt", "buildkit", "cargo", "docker", "go", "gradle", "maven", "npm", "pip", "pnpm", "yarn"];

/** The rules a job's trace id and parent span may follow (docs/TRACES.md says where each comes from). */
export const TRACE_ID_RULES = ["github-receiver", "github-receiver-legacy", "random"] as const;
export type TraceIdRule = (typeof TRACE_ID_RULES)[number];

export const OPTIONS = {
  runnerHome: {
    flag: "runner-home",
    arg: "<dir>",
    env: "RUNNER_HOME",
    description: "runner directory: the child runs there, and the default command is ./run.sh in it",
    defaultText: "/actions-runner",
    defaultValue: () => "/actions-runner",
    parse: text(/^.{1,4096}$/s, "the path of an existing directory"),
  },
  runnerName: {
    flag: "runner-name",
    arg: "<name>",
    env: "RUNNER_NAME",
    description: "value of the runner_name label on every series",
    defaultText: "the host name",
    defaultValue: () => hostname(),
    parse: text(NAME_PATTERN, "1 to 128 printable characters"),
  },
  runnerType: {
    flag: "runner-type",
    arg: "<type>",
    env: "RUNNER_TYPE",
    description: "value of the runner_type label (the images use standard, chrome, chrome-go)",
    defaultText: "standard",
    defaultValue: () => "standard",
    parse: text(SHORT_NAME, SHORT_NAME_RULE),
  },
  runnerVersion: {
    flag: "runner-version",
    arg: "<version>",
    env: "RUNNER_VERSION",
    description: "version label of github_runner_info until the runner prints its own",
    defaultText: "unknown",
    defaultValue: () => "unknown",
    parse: text(/^[\w.+-]{1,64}$/, "up to 64 of letters, digits and . _ + -"),
  },
  metrics: {
    flag: "metrics",
    env: "METRICS_ENABLED",
    description: "turn off the /metrics and /health endpoint (METRICS_ENABLED=false)",
    defaultText: "true",
    defaultValue: () => true,
    parse: parseBoolean,
  },
  metricsPort: {
    flag: "metrics-port",
    arg: "<port>",
    env: "METRICS_PORT",
    description: "port of the metrics and health endpoint",
    defaultText: "9091",
    defaultValue: () => 9091,
    parse: parsePort,
  },
  metricsHost: {
    flag: "metrics-host",
    arg: "<address>",
    env: "METRICS_HOST",
    description: "listen address of the endpoint (empty: all interfaces)",
    defaultText: "all interfaces",
    defaultValue: () => "",
    parse: text(/^[0-9A-Za-z.:%_-]{0,255}$/, "an IP address or host name, or empty for all interfaces"),
  },
  webConfigFile: {
    flag: "web-config-file",
    arg: "<path>",
    env: "WEB_CONFIG_FILE",
    description:
      "web configuration file as node_exporter's --web.config.file reads it (Prometheus exporter toolkit format): TLS, client certificates, basic auth, headers, rate limit; a plain GET /health from the loopback stays open",
    defaultText: "none (plain HTTP, no auth)",
    defaultValue: () => "",
    parse: text(/^.{0,4096}$/s, "the path of a web configuration file (empty: none)"),
    secret: "file",
    private: true,
  },
  jobDurationBuckets: {
    flag: "job-duration-buckets",
    arg: "<seconds,...>",
    env: "JOB_DURATION_BUCKETS",
    description: "upper bounds of the github_runner_job_duration_seconds buckets",
    defaultText: DEFAULT_TIME_BUCKETS.join(","),
    defaultValue: () => DEFAULT_TIME_BUCKETS,
    parse: parseBuckets,
  },
  jobPhaseBuckets: {
    flag: "job-phase-buckets",
    arg: "<seconds,...>",
    env: "JOB_PHASE_BUCKETS",
    description: "upper bounds of the github_runner_job_phase_duration_seconds buckets",
    defaultText: DEFAULT_PHASE_BUCKETS.join(","),
    defaultValue: () => DEFAULT_PHASE_BUCKETS,
    parse: parseBuckets,
  },
  jobResources: {
    flag: "job-resources",
    env: "JOB_RESOURCES",
    description:
      "read each job's CPU, memory, I/O and OOM kills from the container's cgroup (docs/JOB_RESOURCES.md); false: those metrics are absent",
    defaultText: "true",
    defaultValue: () => true,
    parse: parseBoolean,
  },
  jobCpuBuckets: {
    flag: "job-cpu-buckets",
    arg: "<seconds,...>",
    env: "JOB_CPU_BUCKETS",
    description: "upper bounds of the github_runner_job_cpu_seconds buckets",
    defaultText: DEFAULT_CPU_BUCKETS.join(","),
    defaultValue: () => DEFAULT_CPU_BUCKETS,
    parse: parseBuckets,
  },
  jobMemoryBuckets: {
    flag: "job-memory-buckets",
    arg: "<bytes,...>",
    env: "JOB_MEMORY_BUCKETS",
    description: "upper bounds of the github_runner_job_memory_peak_bytes buckets (256 MiB to 32 GiB in doublings by default)",
    defaultText: DEFAULT_MEMORY_BUCKETS.join(","),
    defaultValue: () => DEFAULT_MEMORY_BUCKETS,
    parse: parseByteBuckets,
  },
  signalGroup: {
    flag: "signal-group",
    env: "SIGNAL_PROCESS_GROUP",
    description: "forward signals to the child's whole process group instead of the child alone (as tini -g)",
    defaultText: "false",
    defaultValue: () => false,
    parse: parseBoolean,
  },
  stopGracePeriod: {
    flag: "stop-grace-period",
    arg: "<seconds>",
    env: "STOP_GRACE_PERIOD",
    description:
      "after a forwarded SIGTERM or SIGINT, SIGKILL the child and every process of its session if it still runs this long after (0: never, as tini); Docker's stop timeout goes 10 s above it (stop_grace_period: 45s with the default)",
    defaultText: "35",
    defaultValue: () => 35,
    parse: parseSeconds(0, 86_400, " (0: never escalate)"),
  },
  drain: {
    flag: "drain",
    env: "DRAIN_ENABLED",
    description: "on SIGTERM with a job in flight, let the job finish before forwarding SIGTERM",
    defaultText: "false",
    defaultValue: () => false,
    parse: parseBoolean,
  },
  drainTimeout: {
    flag: "drain-timeout",
    arg: "<seconds>",
    env: "DRAIN_TIMEOUT",
    description: "longest wait for the job in flight when draining, then SIGTERM is forwarded anyway",
    defaultText: "21600 (6 h, GitHub's default job timeout)",
    defaultValue: () => 21_600,
    parse: parseSeconds(0, 604_800),
  },
  exitCodesToZero: {
    flag: "exit-codes-to-zero",
    arg: "<codes>",
    env: "EXIT_CODES_TO_ZERO",
    description: "exit codes of the child reported as 0 (as tini -e), e.g. 143 after a requested stop",
    defaultText: "none",
    defaultValue: (): number[] => [],
    parse: parseExitCodes,
  },
  parentDeathSignal: {
    flag: "parent-death-signal",
    arg: "<signal>",
    env: "PARENT_DEATH_SIGNAL",
    description: "signal the supervisor asks to receive (and forwards) when its parent dies (as tini -p)",
    defaultText: "none",
    defaultValue: (): NodeJS.Signals | "" => "",
    parse: parseSignalName,
  },
  jobHooks: {
    flag: "job-hooks",
    env: "JOB_HOOKS_ENABLED",
    description: "turn off the job hooks (JOB_HOOKS_ENABLED=false): no job context, queue time, labels or deploy metrics",
    defaultText: "true",
    defaultValue: () => true,
    parse: parseBoolean,
  },
  githubApiUrl: {
    flag: "github-api-url",
    arg: "<url>",
    env: "GITHUB_API_URL",
    description: "GitHub REST API base for queue-time look-ups (GitHub Enterprise Server: https://HOST/api/v3)",
    defaultText: "https://api.github.com",
    defaultValue: () => "https://api.github.com",
    parse: parseBaseUrl({ allowEmpty: false, allowCredentials: false }),
    secret: "credentials",
  },
  githubApiToken: {
    flag: "github-api-token",
    arg: "<token>",
    env: "GITHUB_API_TOKEN",
    description:
      "token that may read Actions runs, for queue-time look-ups; never passed to the runner (the flag shows in /proc: prefer the variable or the file)",
    defaultText: "none (no queue time)",
    defaultValue: () => "",
    parse: parseToken,
    secret: "value",
    private: true,
  },
  githubApiTokenFile: {
    flag: "github-api-token-file",
    arg: "<path>",
    env: "GITHUB_API_TOKEN_FILE",
    description: "file holding that token, unreadable by the runner's user (read once at start; wins over GITHUB_API_TOKEN)",
    defaultText: "none",
    defaultValue: () => "",
    parse: text(/^.{0,4096}$/s, "the path of a readable file"),
    private: true,
  },
  githubApiTimeout: {
    flag: "github-api-timeout",
    arg: "<seconds>",
    env: "GITHUB_API_TIMEOUT",
    description: "longest wait for one API answer",
    defaultText: "10",
    defaultValue: () => 10,
    parse: parseSeconds(0.1, 120),
  },
  githubApiRetries: {
    flag: "github-api-retries",
    arg: "<count>",
    env: "GITHUB_API_RETRIES",
    description: "retries of a failed look-up, with exponential backoff from 1 s",
    defaultText: "3",
    defaultValue: () => 3,
    parse: parseInteger(0, 10),
  },
  queueTimeBuckets: {
    flag: "queue-time-buckets",
    arg: "<seconds,...>",
    env: "QUEUE_TIME_BUCKETS",
    description: "upper bounds of the github_runner_job_queue_time_seconds buckets",
    defaultText: DEFAULT_TIME_BUCKETS.join(","),
    defaultValue: () => DEFAULT_TIME_BUCKETS,
    parse: parseBuckets,
  },
  jobLabels: {
    flag: "job-labels",
    arg: "<names>",
    env: "JOB_LABELS",
    description: "extra labels on the job metrics, from repository and workflow (opt-in; never run id, SHA or branch)",
    defaultText: "none",
    defaultValue: (): JobLabelName[] => [],
    parse: parseJobLabels,
  },
  repositoryLabelPattern: {
    flag: "repository-label-pattern",
    arg: "<regex>",
    env: "REPOSITORY_LABEL_PATTERN",
    description:
      "repositories (owner/name) kept as repository label values: those this regex matches as a whole, case-sensitively (acme/.* keeps acme's); others become other",
    defaultText: "any",
    defaultValue: (): TextPattern | undefined => undefined,
    parse: parseWholeValuePattern,
  },
  workflowLabelPattern: {
    flag: "workflow-label-pattern",
    arg: "<regex>",
    env: "WORKFLOW_LABEL_PATTERN",
    description:
      'workflow names kept as workflow label values: those this regex matches as a whole, case-sensitively (Deploy.* keeps "Deploy to prod", not "Nightly deploy"); others become other',
    defaultText: "any",
    defaultValue: (): TextPattern | undefined => undefined,
    parse: parseWholeValuePattern,
  },
  labelValuesMax: {
    flag: "label-values-max",
    arg: "<count>",
    env: "LABEL_VALUES_MAX",
    description: "distinct values kept per job label; later new values become other",
    defaultText: "20",
    defaultValue: () => 20,
    parse: parseInteger(1, 1000),
  },
  cacheTypes: {
    flag: "cache-types",
    arg: "<types>",
    env: "CACHE_TYPES",
    description: "values of the cache_type label accepted from report cache; other types count as other",
    defaultText: DEFAULT_CACHE_TYPES.join(","),
    defaultValue: () => DEFAULT_CACHE_TYPES,
    parse: parseCacheTypes,
  },
  deployPattern: {
    flag: "deploy-pattern",
    arg: "<regex>",
    env: "DEPLOY_PATTERN",
    description:
      'jobs are deployments when this regex is found anywhere in their workflow name, job key or environment, ignoring case (deploy finds "Deploy to prod"; ^deploy$ only a whole value); turns on the deploy metrics',
    defaultText: "none",
    defaultValue: (): TextPattern | undefined => undefined,
    parse: parseSearchPattern,
  },
  metricsLinger: {
    flag: "metrics-linger",
    arg: "<seconds>",
    env: "METRICS_LINGER",
    description:
      "after the child exits, keep serving /metrics this long (ephemeral runners: at least one scrape interval; SIGTERM ends it)",
    defaultText: "0",
    defaultValue: () => 0,
    parse: parseSeconds(0, 3600),
  },
  pushgatewayUrl: {
    flag: "pushgateway-url",
    arg: "<url>",
    env: "PUSHGATEWAY_URL",
    description:
      "Prometheus Pushgateway to push the metrics to when the child starts (counters at 0) and when it exits; user:password@ in it is sent as basic auth",
    defaultText: "none",
    defaultValue: () => "",
    parse: parseBaseUrl({ allowEmpty: true, allowCredentials: true }),
    secret: "credentials",
    private: true,
  },
  pushgatewayJob: {
    flag: "pushgateway-job",
    arg: "<name>",
    env: "PUSHGATEWAY_JOB",
    description: "job label of the pushed group (grouped by runner_name too)",
    defaultText: "github-runner",
    defaultValue: () => "github-runner",
    parse: text(/^[A-Za-z0-9_.-]{1,64}$/, "up to 64 of letters, digits and _ . -"),
  },
  otlpEndpoint: {
    flag: "otlp-endpoint",
    arg: "<url>",
    env: "OTEL_EXPORTER_OTLP_ENDPOINT",
    description:
      "OpenTelemetry collector to send every job as a trace to, over OTLP/HTTP (traces go to <url>/v1/traces); turns on the traces (docs/TRACES.md)",
    defaultText: "none",
    defaultValue: () => "",
    parse: parseBaseUrl({ allowEmpty: true, allowCredentials: false }),
  },
  otlpTracesEndpoint: {
    flag: "otlp-traces-endpoint",
    arg: "<url>",
    env: "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
    description: "the full URL traces are sent to, instead of the one OTEL_EXPORTER_OTLP_ENDPOINT gives; turns on the traces too",
    defaultText: "none",
    defaultValue: () => "",
    parse: parseBaseUrl({ allowEmpty: true, allowCredentials: false }),
  },
  otlpProtocol: {
    flag: "otlp-protocol",
    arg: "<protocol>",
    env: "OTEL_EXPORTER_OTLP_PROTOCOL",
    description:
      "how the traces are encoded: http/protobuf or http/json (with grpc the traces stay off, said at start: the variables may be the jobs')",
    defaultText: "http/protobuf",
    defaultValue: (): "http/protobuf" | "http/json" | "grpc" => "http/protobuf",
    parse: oneOf(["http/protobuf", "http/json", "grpc"] as const),
  },
  otlpHeaders: {
    flag: "otlp-headers",
    arg: "<key=value,...>",
    env: "OTEL_EXPORTER_OTLP_HEADERS",
    description: "headers sent with every export, e.g. an API key (kept from the runner's environment)",
    defaultText: "none",
    defaultValue: () => "",
    parse: parseOtlpHeaders,
    secret: "value",
    private: "with-traces",
  },
  traceIdRule: {
    flag: "trace-id-rule",
    arg: "<rule>",
    env: "TRACE_ID_RULE",
    description:
      "how a job's trace id and parent are chosen: github-receiver (the OpenTelemetry Collector GitHub receiver's trace id for the run, under its run span), github-receiver-legacy (under its job span, as the receiver names it without check run ids) or random (docs/TRACES.md)",
    defaultText: "github-receiver",
    defaultValue: (): TraceIdRule => "github-receiver",
    parse: oneOf(TRACE_ID_RULES),
  },
} satisfies Record<string, OptionSpec<unknown>>;

/** Whether traces are on: an OTLP endpoint is set (OTEL_SDK_DISABLED=true turns them off, as in every SDK). */
export function tracingOn(
  o: { readonly otlpEndpoint: string; readonly otlpTracesEndpoint: string },
  env: NodeJS.ProcessEnv = process.env,
): boolean {
  return (o.otlpEndpoint !== "" || o.otlpTracesEndpoint !== "") && env.OTEL_SDK_DISABLED?.trim().toLowerCase() !== "true";
}

export type OptionKey = keyof typeof OPTIONS;
