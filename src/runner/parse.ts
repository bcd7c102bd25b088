import type { ListenerExitReason, RunnerEvent, RunnerResult } from "./events.js";

// Console lines start with the UTC timestamp the runner prints ("2026-11-25 10:01:02Z: ").
// Every pattern is anchored at the start, so the "[RUNNER ...] WRITE LINE: ..." echo of
// ACTIONS_RUNNER_PRINT_LOG_TO_STDOUT never matches and no job is counted twice.
const TS = String.raw`\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}:\d{2}(?:\.\d+)?Z: `;
const RESULTS = "Succeeded|SucceededWithIssues|Failed|Canceled|Skipped|Abandoned";

// Greedy name: the result is only ever the last " completed with result: X" on the line. A name is
// printed verbatim, so it may hold any character, line separators and a CR among them ("s" flag).
const JOB_COMPLETED = new RegExp(`^${TS}Job (.+) completed with result: (${RESULTS})$`, "s");
const JOB_STARTED = new RegExp(`^${TS}Running job: (.+)$`, "s");
const LISTENING = new RegExp(`^${TS}Listening for Jobs$`);
const RECONNECTED = new RegExp(`^${TS}Runner reconnected\\.$`);
const CONNECT_ERROR = new RegExp(`^${TS}Runner connect error: (.*?)\\.? Retrying until reconnected\\.$`, "s");
// "√ Connected to GitHub"; the tick may arrive mangled by a non-UTF-8 locale, so allow a few non-space bytes.
const CONNECTED = /^(?:[^\s[]{1,8} )?Connected to GitHub$/;
const VERSION = /^Current runner version: '([^'\s]{1,64})'$/;
const UPDATE_FAILED = /^Runner update failed: (.*)$/s;
const SESSION_FAILED = /^Failed to create session\. ?(.*)$/s;
const ERROR = /^An error occurred: (.*)$/s;
const UNKNOWN_EXIT = /^Exiting with unknown error code: -?\d+$/;
// Ctrl-C in a terminal shows "^C" right before the runner's own "Exiting...".
const EXITING = /^(?:\^C)?Exiting\.\.\.$/;

const FIXED: ReadonlyMap<string, RunnerEvent> = new Map<string, RunnerEvent>([
  ["A session for this runner already exists.", { type: "session-conflict" }],
  ["The runner no longer exists on the server. Please reconfigure the runner.", { type: "runner-removed" }],
  ["Runner update in progress, do not shutdown runner.", { type: "update-started" }],
  ["Runner update process finished.", { type: "update-finished" }],
  listenerExit("Runner listener exit with 0 return code, stop the service, no retry needed.", "success", false),
  listenerExit("Runner listener exit with terminated error, stop the service, no retry needed.", "terminated", false),
  listenerExit("Runner listener exit with retryable error, re-launch runner in 5 seconds.", "retryable", true),
  listenerExit("Runner listener exit because of updating, re-launch runner after successful update", "updating", true),
  listenerExit("Runner listener exit with Session Conflict error, stop the service, no retry needed.", "session_conflict", false),
  listenerExit("Runner listener exit with deprecated version exit code: 7.", "deprecated", false),
]);

function listenerExit(line: string, reason: ListenerExitReason, relaunch: boolean): [string, RunnerEvent] {
  return [line, { type: "listener-exit", reason, relaunch }];
}

// Colour codes (CSI sequences) are dropped before matching; .NET writes none to a pipe, but a wrapper may.
// eslint-disable-next-line no-control-regex -- ESC is the character matched
const CSI = /\x1b\[[0-9;?]*[ -/]*[@-~]/g;

/** Normalises a raw console line: no colour codes, no trailing CR, spaces or tabs (any other character stays). */
export function cleanLine(raw: string): string {
  return trimPadding(raw.includes("\x1b") ? raw.replace(CSI, "") : raw);
}

/** Drops trailing spaces, tabs and CRs only: String.trimEnd would also eat a name's own U+2028 or U+00A0. */
function trimPadding(text: string): string {
  let end = text.length;
  for (let c = text.charCodeAt(end - 1); c === 0x20 || c === 0x09 || c === 0x0d; c = text.charCodeAt(end - 1)) end--;
  return end === text.length ? text : text.slice(0, end);
}

// Every recognised line starts with a digit (timestamped lines) or one of these characters;
// anything else, the bulk of a job's output, is dismissed without further work.
const FIRST_CHARS = new Set("0123456789ACEFRT^".split("").map((c) => c.charCodeAt(0)));
const LONGEST_FIXED = Math.max(...[...FIXED.keys()].map((k) => k.length));

function mayBeEvent(first: number): boolean {
  // Non-ASCII covers the tick of "√ Connected to GitHub", however a locale mangled it.
  return FIRST_CHARS.has(first) || first > 0x7f;
}

/**
 * Whether a line whose first byte (or character) is this may be a runner event: a colour code
 * may come first, and any non-ASCII byte may begin the tick. Lets the line reader skip the rest
 * without decoding them.
 */
export function mayStartEvent(first: number): boolean {
  return first === 0x1b || mayBeEvent(first);
}

/** Recognises one console line of the runner; anything else (including trace lines) is undefined. Pure. */
export function parseLine(raw: string): RunnerEvent | undefined {
  if (!mayStartEvent(raw.charCodeAt(0))) return undefined;
  const line = cleanLine(raw);
  const first = line.charCodeAt(0);
  if (!mayBeEvent(first)) return undefined;

  if (line.length <= LONGEST_FIXED) {
    const fixed = FIXED.get(line);
    if (fixed) return fixed;
  }

  let m: RegExpExecArray | null;
  if (first >= 0x30 && first <= 0x39) {
    if ((m = JOB_COMPLETED.exec(line))) return { type: "job-completed", name: trimPadding(m[1]!), result: m[2] as RunnerResult };
    if ((m = JOB_STARTED.exec(line))) return { type: "job-started", name: m[1]! };
    if (LISTENING.test(line)) return { type: "listening" };
    if (RECONNECTED.test(line)) return { type: "reconnected" };
    if ((m = CONNECT_ERROR.exec(line))) return { type: "connect-error", message: m[1]! };
    return undefined;
  }
  if ((m = VERSION.exec(line))) return { type: "version", version: m[1]! };
  if (CONNECTED.test(line)) return { type: "connected" };
  if ((m = SESSION_FAILED.exec(line))) return { type: "session-failed", message: m[1]! };
  if ((m = UPDATE_FAILED.exec(line))) return { type: "update-failed", message: m[1]! };
  if ((m = ERROR.exec(line))) return { type: "error", message: m[1]! };
  if (UNKNOWN_EXIT.test(line)) return { type: "listener-exit", reason: "unknown_code", relaunch: false };
  if (EXITING.test(line)) return { type: "exiting" };
  return undefined;
}
