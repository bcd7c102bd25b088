import { readFileSync, statSync } from "node:fs";
import { resolve } from "node:path";
import { OPTIONS, ParseError, type JobLabelName, type OptionKey, type OptionSpec } from "./options.js";
import { hasCredentials, withoutCredentials } from "./redact.js";

/** Exit code for a configuration or usage error, before anything is spawned (sysexits EX_CONFIG). */
export const EXIT_CONFIG = 78;

/** The whole configuration, parsed and validated once at start-up. */
export interface Config {
  readonly runnerHome: string;
  readonly runnerName: string;
  readonly runnerType: string;
  readonly runnerVersion: string;
  readonly metrics: boolean;
  readonly metricsPort: number;
  readonly metricsHost: string;
  readonly jobDurationBuckets: readonly number[];
  /** Forward signals to the child's process group, not the child alone. */
  readonly signalGroup: boolean;
  /** Seconds after a forwarded SIGTERM/SIGINT before the group is killed; 0 never. */
  readonly stopGracePeriod: number;
  /** Wait for the job in flight before forwarding SIGTERM. */
  readonly drain: boolean;
  /** Longest wait for that job, in seconds. */
  readonly drainTimeout: number;
  /** Child exit codes reported as 0. */
  readonly exitCodesToZero: readonly number[];
  /** Signal to receive when the parent dies; "" for none. */
  readonly parentDeathSignal: NodeJS.Signals | "";
  /** Make the supervisor the runner's job-started and job-completed hook. */
  readonly jobHooks: boolean;
  /** REST API base for queue-time look-ups, without a trailing slash. */
  readonly githubApiUrl: string;
  /** Token for those look-ups ("" for none: no look-ups), from the file when one is given. */
  readonly githubApiToken: string;
  readonly githubApiTokenFile: string;
  /** Seconds per API request. */
  readonly githubApiTimeout: number;
  readonly githubApiRetries: number;
  readonly queueTimeBuckets: readonly number[];
  /** Opt-in extra labels on the job metrics. */
  readonly jobLabels: readonly JobLabelName[];
  readonly repositoryLabelPattern: RegExp | undefined;
  readonly workflowLabelPattern: RegExp | undefined;
  readonly labelValuesMax: number;
  /** cache_type values accepted from `report cache`. */
  readonly cacheTypes: readonly string[];
  /** Classifies deploy jobs; undefined turns the deploy metrics off. */
  readonly deployPattern: RegExp | undefined;
  /** Seconds to keep serving /metrics after the child exited. */
  readonly metricsLinger: number;
  /** Pushgateway base URL ("" for none). */
  readonly pushgatewayUrl: string;
  readonly pushgatewayJob: string;
  /** The command to run and its arguments; ./run.sh in runnerHome when none is given. */
  readonly command: string;
  readonly args: readonly string[];
}

/** A setting that cannot be used; the message is one line naming it and what it accepts. */
export class ConfigError extends Error {}

type Values = { -readonly [K in OptionKey]: ReturnType<(typeof OPTIONS)[K]["defaultValue"]> };

/** Flag values as commander gives them: only the flags the user actually typed. */
export type FlagValues = Partial<Record<OptionKey, string | boolean>>;

function resolveOne<T>(spec: OptionSpec<T>, flag: string | boolean | undefined, env: NodeJS.ProcessEnv): T {
  if (typeof flag === "boolean") return flag as T;
  // An empty variable counts as unset: compose files often pass VAR=${VAR:-}.
  const envRaw = env[spec.env];
  const [source, raw] =
    flag !== undefined ? [`--${spec.flag}`, flag] : envRaw ? [spec.env, envRaw] : [undefined, undefined];
  if (source === undefined || raw === undefined) return spec.defaultValue();
  const value = spec.parse(raw);
  if (value instanceof ParseError) throw new ConfigError(`invalid ${source}${shown(spec, raw)}: expected ${value.accepts}`);
  return value;
}

/** A rejected value as the error may show it: a secret is described, never printed. */
function shown(spec: OptionSpec<unknown>, raw: string): string {
  if (spec.secret === "value") return ` (value not shown: ${raw.length} characters)`;
  return `=${JSON.stringify(spec.secret === "credentials" ? withoutCredentials(raw) : raw)}`;
}

/** Whether the configuration holds a secret: a token, or a URL with a password in it. */
export function holdsSecrets(config: Config): boolean {
  return (Object.keys(OPTIONS) as OptionKey[]).some((key) => {
    const secret = (OPTIONS[key] as OptionSpec<unknown>).secret;
    const value = config[key];
    return typeof value === "string" && value !== "" && (secret === "value" || (secret === "credentials" && hasCredentials(value)));
  });
}

/** The environment without the variables the runner must not see (tokens, URLs with passwords, token files). */
export function withoutPrivateVariables(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const copy = { ...env };
  for (const spec of Object.values(OPTIONS) as OptionSpec<unknown>[]) if (spec.private) delete copy[spec.env];
  return copy;
}

/** Builds the Config from typed flags, the environment and the command after `--`. */
export function resolveConfig(flags: FlagValues, env: NodeJS.ProcessEnv, command: readonly string[]): Config {
  const values = {} as Values;
  for (const key of Object.keys(OPTIONS) as OptionKey[]) {
    (values as Record<OptionKey, unknown>)[key] = resolveOne(OPTIONS[key] as OptionSpec<unknown>, flags[key], env);
  }
  const runnerHome = resolve(values.runnerHome);
  if (!isDirectory(runnerHome)) {
    const source = flags.runnerHome !== undefined ? "--runner-home" : OPTIONS.runnerHome.env;
    throw new ConfigError(`invalid ${source}=${JSON.stringify(values.runnerHome)}: expected the path of an existing directory`);
  }
  const [first, ...rest] = command;
  return {
    ...values,
    githubApiToken: values.githubApiTokenFile ? readToken(values.githubApiTokenFile, flags.githubApiTokenFile !== undefined) : values.githubApiToken,
    runnerHome,
    command: first ?? "./run.sh",
    args: first === undefined ? [] : rest,
  };
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

/** Reads a token file once: trimmed, one line of printable characters, at most 1 KiB. */
function readToken(path: string, fromFlag: boolean): string {
  const source = fromFlag ? "--github-api-token-file" : OPTIONS.githubApiTokenFile.env;
  let token: string;
  try {
    token = readFileSync(path, { encoding: "utf8", flag: "r" }).slice(0, 4096).trim();
  } catch (error) {
    throw new ConfigError(`invalid ${source}=${JSON.stringify(path)}: cannot read it (${(error as NodeJS.ErrnoException).code ?? "error"})`);
  }
  if (!/^[\x21-\x7e]{1,1024}$/.test(token)) {
    throw new ConfigError(`invalid ${source}=${JSON.stringify(path)}: expected a file holding one token of printable characters`);
  }
  return token;
}
