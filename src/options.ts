import { constants, hostname } from "node:os";

/**
 * Every setting in one table: its flag, its environment variable, its default and how a raw
 * string becomes a value. The CLI builds its help from this table and config.ts resolves it,
 * so a flag, its variable and the docs can never drift apart.
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
  readonly parse: (raw: string) => T | ParseError;
}

/** What a parser returns for a value it does not accept. */
export class ParseError {
  constructor(readonly accepts: string) {}
}

const TYPE_PATTERN = /^[a-z][a-z0-9_-]{0,31}$/;
// Printable, no control characters, bounded: it becomes a label value on every series.
const NAME_PATTERN = /^[^\p{Cc}]{1,128}$/u;
const DEFAULT_BUCKETS = [1, 5, 10, 30, 60, 120, 300, 600, 1800, 3600, 7200, 21600];

function parseBoolean(raw: string): boolean | ParseError {
  const v = raw.trim().toLowerCase();
  if (["1", "true", "yes", "on"].includes(v)) return true;
  if (["0", "false", "no", "off"].includes(v)) return false;
  return new ParseError("true or false (also 1/0, yes/no, on/off)");
}

function parsePort(raw: string): number | ParseError {
  const accepts = "an integer from 0 to 65535 (0 picks a free port)";
  if (!/^\d{1,5}$/.test(raw.trim())) return new ParseError(accepts);
  const port = Number(raw);
  return port <= 65535 ? port : new ParseError(accepts);
}

function parseBuckets(raw: string): number[] | ParseError {
  const accepts = "a comma-separated list of increasing positive numbers of seconds, e.g. 10,60,300";
  const parts = raw.split(",").map((s) => s.trim());
  const values = parts.map(Number);
  const ok =
    parts.length > 0 &&
    parts.length <= 64 &&
    parts.every((p) => p !== "") &&
    values.every((v, i) => Number.isFinite(v) && v > 0 && (i === 0 || v > values[i - 1]!));
  return ok ? values : new ParseError(accepts);
}

function parseSeconds(accepts: string, max: number): (raw: string) => number | ParseError {
  return (raw) => {
    const v = raw.trim();
    if (!/^\d+(\.\d+)?$/.test(v)) return new ParseError(accepts);
    const n = Number(v);
    return n <= max ? n : new ParseError(accepts);
  };
}

function parseExitCodes(raw: string): number[] | ParseError {
  const accepts = "a comma-separated list of exit codes from 0 to 255, e.g. 143 or 130,143 (empty: none)";
  const parts = raw.split(",").map((s) => s.trim()).filter((s) => s !== "");
  if (parts.length > 256 || !parts.every((p) => /^\d{1,3}$/.test(p) && Number(p) <= 255)) return new ParseError(accepts);
  return [...new Set(parts.map(Number))];
}

/** A signal by name (with or without SIG), any but KILL and STOP. */
function parseSignalName(raw: string): NodeJS.Signals | "" | ParseError {
  const accepts = "a signal name such as SIGTERM or TERM (empty: none)";
  const v = raw.trim().toUpperCase();
  if (v === "") return "";
  const name = (v.startsWith("SIG") ? v : `SIG${v}`) as NodeJS.Signals;
  return name in constants.signals && name !== "SIGKILL" && name !== "SIGSTOP" ? name : new ParseError(accepts);
}

/** A regular expression matched against a whole value; empty for none. Compiled once here so a bad one stops start-up. */
function parsePattern(raw: string): RegExp | undefined | ParseError {
  const accepts = "a regular expression of at most 512 characters, matched against the whole value (empty: none)";
  if (raw.trim() === "") return undefined;
  if (raw.length > 512) return new ParseError(accepts);
  try {
    return new RegExp(`^(?:${raw})$`, "u");
  } catch {
    return new ParseError(accepts);
  }
}

function parseInteger(accepts: string, min: number, max: number): (raw: string) => number | ParseError {
  return (raw) => {
    const v = raw.trim();
    if (!/^\d{1,9}$/.test(v)) return new ParseError(accepts);
    const n = Number(v);
    return n >= min && n <= max ? n : new ParseError(accepts);
  };
}

/** An http(s) URL without credentials, query or fragment; trailing slashes dropped. */
function parseBaseUrl(accepts: string, allowEmpty: boolean): (raw: string) => string | ParseError {
  return (raw) => {
    const v = raw.trim();
    if (v === "" && allowEmpty) return "";
    let url: URL;
    try {
      url = new URL(v);
    } catch {
      return new ParseError(accepts);
    }
    const ok = (url.protocol === "http:" || url.protocol === "https:") && !url.username && !url.password && !url.search && !url.hash && v.length <= 2048;
    return ok ? url.href.replace(/\/+$/, "") : new ParseError(accepts);
  };
}

/** The job labels a user may turn on: never run id, SHA or branch (unbounded). */
export const JOB_LABEL_NAMES = ["repository", "workflow"] as const;
export type JobLabelName = (typeof JOB_LABEL_NAMES)[number];

function parseJobLabels(raw: string): JobLabelName[] | ParseError {
  const accepts = "a comma-separated list of repository and workflow (empty or none: no extra labels)";
  const parts = raw.split(",").map((s) => s.trim()).filter((s) => s !== "" && s !== "none");
  if (!parts.every((p) => (JOB_LABEL_NAMES as readonly string[]).includes(p))) return new ParseError(accepts);
  return JOB_LABEL_NAMES.filter((name) => parts.includes(name));
}

const CACHE_TYPE_PATTERN = /^[a-z][a-z0-9_-]{0,31}$/;
export const DEFAULT_CACHE_TYPES = ["actions", "apt", "buildkit", "cargo", "docker", "go", "gradle", "maven", "npm", "pip", "pnpm", "yarn"];

function parseCacheTypes(raw: string): string[] | ParseError {
  const accepts = "a comma-separated list of at most 32 short lowercase names (a letter, then up to 31 of a-z 0-9 _ -), not other";
  const parts = [...new Set(raw.split(",").map((s) => s.trim()).filter((s) => s !== ""))];
  if (parts.length > 32 || !parts.every((p) => CACHE_TYPE_PATTERN.test(p) && p !== "other")) return new ParseError(accepts);
  return parts;
}

const DEFAULT_QUEUE_BUCKETS = [1, 5, 10, 30, 60, 120, 300, 600, 1800, 3600, 7200, 21600];

function text(pattern: RegExp, accepts: string): (raw: string) => string | ParseError {
  return (raw) => (pattern.test(raw) ? raw : new ParseError(accepts));
}

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
    parse: text(TYPE_PATTERN, "a short lowercase name: a letter, then up to 31 of a-z 0-9 _ -"),
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
  jobDurationBuckets: {
    flag: "job-duration-buckets",
    arg: "<seconds,...>",
    env: "JOB_DURATION_BUCKETS",
    description: "upper bounds of the github_runner_job_duration_seconds buckets",
    defaultText: DEFAULT_BUCKETS.join(","),
    defaultValue: () => DEFAULT_BUCKETS,
    parse: parseBuckets,
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
    description: "after a forwarded SIGTERM or SIGINT, SIGKILL the child's process group if it still runs this long after (0: never, as tini)",
    defaultText: "35",
    defaultValue: () => 35,
    parse: parseSeconds("a number of seconds from 0 to 86400 (0: never escalate)", 86_400),
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
    parse: parseSeconds("a number of seconds from 0 to 604800", 604_800),
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
    parse: parseBaseUrl("an http or https URL without credentials, query or fragment", false),
  },
  githubApiToken: {
    flag: "github-api-token",
    arg: "<token>",
    env: "GITHUB_API_TOKEN",
    description: "token that may read Actions runs, for queue-time look-ups; never passed to the runner (the flag shows in /proc: prefer the variable or the file)",
    defaultText: "none (no queue time)",
    defaultValue: () => "",
    parse: text(/^[\x21-\x7e]{0,1024}$/, "a token of printable characters without spaces"),
  },
  githubApiTokenFile: {
    flag: "github-api-token-file",
    arg: "<path>",
    env: "GITHUB_API_TOKEN_FILE",
    description: "file holding that token, unreadable by the runner's user (read once at start; wins over GITHUB_API_TOKEN)",
    defaultText: "none",
    defaultValue: () => "",
    parse: text(/^.{0,4096}$/s, "the path of a readable file"),
  },
  githubApiTimeout: {
    flag: "github-api-timeout",
    arg: "<seconds>",
    env: "GITHUB_API_TIMEOUT",
    description: "longest wait for one API answer",
    defaultText: "10",
    defaultValue: () => 10,
    parse: (raw: string) => {
      const v = parseSeconds("a number of seconds from 0.1 to 120", 120)(raw);
      return typeof v === "number" && v < 0.1 ? new ParseError("a number of seconds from 0.1 to 120") : v;
    },
  },
  githubApiRetries: {
    flag: "github-api-retries",
    arg: "<count>",
    env: "GITHUB_API_RETRIES",
    description: "retries of a failed look-up, with exponential backoff from 1 s",
    defaultText: "3",
    defaultValue: () => 3,
    parse: parseInteger("an integer from 0 to 10", 0, 10),
  },
  queueTimeBuckets: {
    flag: "queue-time-buckets",
    arg: "<seconds,...>",
    env: "QUEUE_TIME_BUCKETS",
    description: "upper bounds of the github_runner_job_queue_time_seconds buckets",
    defaultText: DEFAULT_QUEUE_BUCKETS.join(","),
    defaultValue: () => DEFAULT_QUEUE_BUCKETS,
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
    description: "repositories (owner/name) kept as repository label values; others become other",
    defaultText: "any",
    defaultValue: (): RegExp | undefined => undefined,
    parse: parsePattern,
  },
  workflowLabelPattern: {
    flag: "workflow-label-pattern",
    arg: "<regex>",
    env: "WORKFLOW_LABEL_PATTERN",
    description: "workflow names kept as workflow label values; others become other",
    defaultText: "any",
    defaultValue: (): RegExp | undefined => undefined,
    parse: parsePattern,
  },
  labelValuesMax: {
    flag: "label-values-max",
    arg: "<count>",
    env: "LABEL_VALUES_MAX",
    description: "distinct values kept per job label; later new values become other",
    defaultText: "20",
    defaultValue: () => 20,
    parse: parseInteger("an integer from 1 to 1000", 1, 1000),
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
    description: "jobs whose workflow name, job key or environment matches this are deployments (turns on the deploy metrics)",
    defaultText: "none",
    defaultValue: (): RegExp | undefined => undefined,
    parse: parsePattern,
  },
  metricsLinger: {
    flag: "metrics-linger",
    arg: "<seconds>",
    env: "METRICS_LINGER",
    description: "after the child exits, keep serving /metrics this long (ephemeral runners: at least one scrape interval; SIGTERM ends it)",
    defaultText: "0",
    defaultValue: () => 0,
    parse: parseSeconds("a number of seconds from 0 to 3600", 3600),
  },
  pushgatewayUrl: {
    flag: "pushgateway-url",
    arg: "<url>",
    env: "PUSHGATEWAY_URL",
    description: "Prometheus Pushgateway to push the metrics to when the child starts (counters at 0) and when it exits",
    defaultText: "none",
    defaultValue: () => "",
    parse: parseBaseUrl("an http or https URL without credentials, query or fragment (empty: none)", true),
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
} satisfies Record<string, OptionSpec<unknown>>;

export type OptionKey = keyof typeof OPTIONS;
