import { readFileSync, statSync } from "node:fs";
import { resolve } from "node:path";
import { hasCredentials, withoutCredentials } from "../common/redact.js";
import { OPTIONS, tracingOn, type OptionKey, type OptionSpec } from "./options.js";
import { ParseError, parseToken } from "./parsers.js";

/** Exit code for a configuration or usage error, before anything is spawned (sysexits EX_CONFIG). */
export const EXIT_CONFIG = 78;

/** Every option's value, typed by the table (what each one means is written there, once). */
export type OptionValues = { readonly [K in OptionKey]: ReturnType<(typeof OPTIONS)[K]["defaultValue"]> };

/**
 * The whole configuration, parsed and validated once at start-up: every option, with the runner
 * directory resolved and the token read from its file when one is given, and the command to run.
 */
export type Config = OptionValues & {
  /** Whether every job is sent as a trace: an OTLP endpoint is set, over a protocol the exporter speaks. */
  readonly traces: boolean;
  /** Why traces stay off although an endpoint is set (said once at start), if they do. */
  readonly tracesOff?: string;
  /** The command to run; ./run.sh in runnerHome when none is given. */
  readonly command: string;
  readonly args: readonly string[];
};

/** A setting that cannot be used; the message is one line naming it and what it accepts. */
export class ConfigError extends Error {}

/** Flag values as commander gives them: only the flags the user actually typed. */
export type FlagValues = Partial<Record<OptionKey, string | boolean>>;

/** Builds the Config from typed flags, the environment and the command after `--`. */
export function resolveConfig(flags: FlagValues, env: NodeJS.ProcessEnv, command: readonly string[]): Config {
  const values = {} as Record<OptionKey, unknown>;
  for (const key of Object.keys(OPTIONS) as OptionKey[]) {
    // The OTEL_* variables may be set for the jobs' own SDKs: their headers matter only to an exporter that is on.
    if (key !== "otlpHeaders") values[key] = resolveOne(OPTIONS[key] as OptionSpec<unknown>, flags[key], env);
  }
  const wanted = tracingOn(values as OptionValues, env);
  values.otlpHeaders = wanted ? resolveOne(OPTIONS.otlpHeaders, flags.otlpHeaders, env) : "";
  const options = values as OptionValues;
  const runnerHome = resolve(options.runnerHome);
  if (!isDirectory(runnerHome))
    throw new ConfigError(
      `invalid ${sourceOf("runnerHome", flags)}=${JSON.stringify(options.runnerHome)}: expected the path of an existing directory`,
    );
  // A gRPC endpoint set for the jobs' own SDKs must not stop the runner: the traces stay off, said once.
  const grpc = wanted && options.otlpProtocol === "grpc";
  const [first, ...rest] = command;
  return {
    ...options,
    traces: wanted && !grpc,
    ...(grpc
      ? {
          tracesOff: `traces off: ${sourceOf("otlpProtocol", flags)}="grpc"; the supervisor sends OTLP over HTTP (http/protobuf or http/json)`,
        }
      : {}),
    githubApiToken: options.githubApiTokenFile
      ? readToken(options.githubApiTokenFile, sourceOf("githubApiTokenFile", flags))
      : options.githubApiToken,
    runnerHome,
    command: first ?? "./run.sh",
    args: first === undefined ? [] : rest,
  };
}

/** Whether the configuration holds a secret: a token, a URL with a password in it, or a file of keys and hashes. */
export function holdsSecrets(config: Partial<Record<OptionKey, unknown>>): boolean {
  return (Object.keys(OPTIONS) as OptionKey[]).some((key) => {
    const secret = (OPTIONS[key] as OptionSpec<unknown>).secret;
    const value = config[key];
    return (
      typeof value === "string" &&
      value !== "" &&
      (secret === "value" || secret === "file" || (secret === "credentials" && hasCredentials(value)))
    );
  });
}

/**
 * The environment without the variables the runner must not see (tokens, URLs with passwords, token
 * files); the exporter's headers only when the supervisor's traces use them, else they are the jobs'.
 */
export function withoutPrivateVariables(env: NodeJS.ProcessEnv, config: Pick<Config, "traces">): NodeJS.ProcessEnv {
  const copy = { ...env };
  for (const spec of Object.values(OPTIONS) as OptionSpec<unknown>[]) {
    if (spec.private === true || (spec.private === "with-traces" && config.traces)) delete copy[spec.env];
  }
  return copy;
}

function resolveOne<T>(spec: OptionSpec<T>, flag: string | boolean | undefined, env: NodeJS.ProcessEnv): T {
  if (typeof flag === "boolean") return flag as T;
  // An empty variable counts as unset: compose files often pass VAR=${VAR:-}.
  const envRaw = env[spec.env];
  const [source, raw] = flag !== undefined ? [`--${spec.flag}`, flag] : envRaw ? [spec.env, envRaw] : [undefined, undefined];
  if (source === undefined) return spec.defaultValue();
  const value = spec.parse(raw);
  if (value instanceof ParseError) throw new ConfigError(`invalid ${source}${shown(spec, raw)}: expected ${value.accepts}`);
  return value;
}

/** How the user gave an option: its flag, or its variable. */
export function sourceOf(key: OptionKey, flags: FlagValues): string {
  return flags[key] !== undefined ? `--${OPTIONS[key].flag}` : OPTIONS[key].env;
}

/** A rejected value as the error may show it: a secret is described, never printed. */
function shown(spec: OptionSpec<unknown>, raw: string): string {
  if (spec.secret === "value") return ` (value not shown: ${raw.length} characters)`;
  return `=${JSON.stringify(spec.secret === "credentials" ? withoutCredentials(raw) : raw)}`;
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

/** Reads a token file once, as the token variable is read; it must hold a token. */
function readToken(path: string, source: string): string {
  let content: string;
  try {
    content = readFileSync(path, { encoding: "utf8", flag: "r" }).slice(0, 4096);
  } catch (error) {
    throw new ConfigError(
      `invalid ${source}=${JSON.stringify(path)}: cannot read it (${(error as NodeJS.ErrnoException).code ?? "error"})`,
    );
  }
  const token = parseToken(content);
  if (token instanceof ParseError || token === "")
    throw new ConfigError(`invalid ${source}=${JSON.stringify(path)}: expected a file holding one token of printable characters`);
  return token;
}
