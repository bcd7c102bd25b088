import { closeSync, fstatSync, openSync, readSync, writeSync } from "node:fs";
import { sendMessage, SOCKET_ENV } from "./client.js";
import { decodeContext, HOOK_KINDS, MAX_CACHE_COUNT, type ChannelMessage, type JobContext } from "./messages.js";

/** A hook's whole budget is a second (the script kills it after 0.9 s); the answer must come well before. */
const HOOK_SEND_MS = 500;
const REPORT_SEND_MS = 2000;
/** Event payloads larger than this are not read (no commit time then). */
const MAX_EVENT_BYTES = 4 * 1024 * 1024;

type Write = (text: string) => void;

/**
 * `runner-supervisor hook job-started|job-completed`: what the hook script runs. Sends the job's
 * context to the supervisor. Always exits 0: a failing hook fails the job.
 */
export async function runHookCommand(args: readonly string[], env: NodeJS.ProcessEnv, err: Write): Promise<number> {
  const hook = HOOK_KINDS.find((h) => h === args[0]);
  const socketPath = env[SOCKET_ENV];
  if (!hook || !socketPath) {
    err(`runner-supervisor: hook: ${hook ? `${SOCKET_ENV} is not set` : "expected job-started or job-completed"}; nothing sent\n`);
    return 0;
  }
  const context = contextFromEnvironment(env);
  if (!context) return 0;
  await sendMessage(socketPath, { kind: "hook", hook, context }, HOOK_SEND_MS);
  return 0;
}

/**
 * The job's context from the variables the runner gives a hook. Both hooks read the payload:
 * when the started hook could not reach the supervisor (killed at its time limit on a busy
 * machine, say), the completed hook's context still carries the commit time.
 */
export function contextFromEnvironment(env: NodeJS.ProcessEnv): JobContext | undefined {
  const event = env.GITHUB_EVENT_PATH ? readEventFacts(env.GITHUB_EVENT_PATH) : {};
  return decodeContext({
    runId: env.GITHUB_RUN_ID,
    runAttempt: Number(env.GITHUB_RUN_ATTEMPT ?? "1"),
    repository: env.GITHUB_REPOSITORY,
    workflow: env.GITHUB_WORKFLOW,
    job: env.GITHUB_JOB,
    eventName: env.GITHUB_EVENT_NAME,
    runnerName: env.RUNNER_NAME,
    ...event,
  });
}

/**
 * The two facts taken from the event payload, and nothing else: the pushed commit's time
 * (push: head_commit; workflow_run: its head_commit) and a deployment's environment.
 */
export function readEventFacts(path: string): { commitEpochSeconds?: number; environment?: string } {
  let payload: unknown;
  try {
    payload = JSON.parse(readBounded(path, MAX_EVENT_BYTES));
  } catch {
    return {};
  }
  const p = payload as Record<string, Record<string, unknown> | undefined> | null;
  if (typeof p !== "object" || p === null) return {};
  const commit = (p.head_commit ?? (p.workflow_run?.head_commit as Record<string, unknown> | undefined)) as Record<string, unknown> | undefined;
  const timestamp = typeof commit?.timestamp === "string" ? Date.parse(commit.timestamp) : NaN;
  const environment = p.deployment?.environment;
  return {
    ...(Number.isFinite(timestamp) ? { commitEpochSeconds: timestamp / 1000 } : {}),
    ...(typeof environment === "string" ? { environment } : {}),
  };
}

function readBounded(path: string, max: number): string {
  const fd = openSync(path, "r");
  try {
    const size = fstatSync(fd).size;
    if (size > max) throw new Error("too large");
    const buffer = Buffer.alloc(size);
    let read = 0;
    while (read < size) {
      const n = readSync(fd, buffer, read, size - read, read);
      if (n === 0) break;
      read += n;
    }
    return buffer.subarray(0, read).toString("utf8");
  } finally {
    closeSync(fd);
  }
}

export const REPORT_USAGE = `Usage: runner-supervisor report cache --type <type> (--hit | --miss | --result <hit|miss|true|false> | --hits <n> --misses <n>)

Reports cache look-ups of the running job to the supervisor (github_runner_cache_requests_total).
--result takes the cache-hit output of actions/cache: true is a hit, anything else (false, empty) a miss.
Always exits 0, so a report never fails a step; problems are printed on stderr.
`;

/** Parses `report cache ...` arguments into a message, or an error text. */
export function parseReportArgs(args: readonly string[]): ChannelMessage | string {
  if (args[0] !== "cache") return "expected: report cache ...";
  let cacheType: string | undefined;
  let hits = 0;
  let misses = 0;
  let given = false;
  const countOf = (raw: string | undefined): number | undefined =>
    raw !== undefined && /^\d{1,6}$/.test(raw) && Number(raw) <= MAX_CACHE_COUNT ? Number(raw) : undefined;
  for (let i = 1; i < args.length; i++) {
    const arg = args[i]!;
    const [name, inline] = arg.startsWith("--") && arg.includes("=") ? [arg.slice(0, arg.indexOf("=")), arg.slice(arg.indexOf("=") + 1)] : [arg, undefined];
    const value = (): string | undefined => inline ?? args[++i];
    if (name === "--type") cacheType = value()?.trim().toLowerCase();
    else if (name === "--hit" || name === "--miss") {
      if (name === "--hit") hits += 1;
      else misses += 1;
      given = true;
    } else if (name === "--result") {
      const v = (value() ?? "").trim().toLowerCase();
      if (v === "hit" || v === "true") hits += 1;
      else misses += 1;
      given = true;
    } else if (name === "--hits" || name === "--misses") {
      const n = countOf(value());
      if (n === undefined) return `${name} expects an integer from 0 to ${MAX_CACHE_COUNT}`;
      if (name === "--hits") hits += n;
      else misses += n;
      given = true;
    } else return `unknown argument ${JSON.stringify(arg.slice(0, 64))}`;
  }
  if (!cacheType || !/^[a-z][a-z0-9_-]{0,31}$/.test(cacheType)) return "--type expects a short lowercase name such as npm, apt or buildkit";
  if (!given) return "say --hit, --miss, --result <value> or --hits/--misses";
  if (hits + misses === 0) return "nothing to report (0 hits and 0 misses)";
  if (hits > MAX_CACHE_COUNT || misses > MAX_CACHE_COUNT) return `at most ${MAX_CACHE_COUNT} per report`;
  return { kind: "cache", cacheType, hits, misses };
}

/** `runner-supervisor report cache ...`: for workflow steps. Always exits 0. */
export async function runReportCommand(args: readonly string[], env: NodeJS.ProcessEnv, out: Write, err: Write): Promise<number> {
  if (args.includes("--help") || args.includes("-h")) {
    out(REPORT_USAGE);
    return 0;
  }
  const message = parseReportArgs(args);
  if (typeof message === "string") {
    err(`runner-supervisor: report: ${message}; nothing sent\n`);
    return 0;
  }
  const socketPath = env[SOCKET_ENV];
  if (!socketPath) {
    err(`runner-supervisor: report: ${SOCKET_ENV} is not set (not a step on a supervised runner?); nothing sent\n`);
    return 0;
  }
  if (!(await sendMessage(socketPath, message, REPORT_SEND_MS))) err("runner-supervisor: report: the supervisor did not take the report\n");
  return 0;
}

/**
 * Runs `hook ...` or `report ...`. They run inside jobs, within a one-second budget, where fd 1
 * and 2 are the runner's own pipes: they write with plain synchronous writes and never end them.
 */
export function runSubcommand(argv: readonly string[], env: NodeJS.ProcessEnv): Promise<number> {
  const [name, ...args] = argv;
  return name === "hook" ? runHookCommand(args, env, writeTo(2)) : runReportCommand(args, env, writeTo(1), writeTo(2));
}

function writeTo(fd: number): Write {
  return (text) => {
    try {
      writeSync(fd, text);
    } catch {
      // nowhere to say it
    }
  };
}
