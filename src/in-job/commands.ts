import { writeSync } from "node:fs";
import { HOOK_KINDS, SOCKET_ENV } from "../messages/message.js";
import { sendMessage } from "./client.js";
import { contextFromEnvironment } from "./job-environment.js";
import { parseReportArgs, REPORT_USAGE } from "./report-args.js";

/** A hook's whole budget is a second (the script kills it after 0.9 s); the answer must come well before. */
const HOOK_SEND_MS = 500;
const REPORT_SEND_MS = 2000;

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
  if (!(await sendMessage(socketPath, { kind: "hook", hook, context }, HOOK_SEND_MS))) {
    err(`runner-supervisor: ${hook} hook: the supervisor did not take the job's context (stopped, or its socket gone?); the job goes on\n`);
  }
  return 0;
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
