// Fake runners driven by a script of steps (test/fixtures/scripted-runner.mjs).
import { join } from "node:path";
import { FIXTURES } from "./paths.js";

/** One step of a fake runner (test/fixtures/scripted-runner.mjs). */
export type Step =
  | { out: string }
  | { err: string }
  | { raw: string }
  | { sleep: number }
  | { exit: number }
  | { kill: NodeJS.Signals }
  | { waitForFile: string };

/** The command and environment that make scripted-runner.mjs the child. */
export function scripted(steps: Step[]): { command: string[]; env: Record<string, string> } {
  return { command: [process.execPath, join(FIXTURES, "scripted-runner.mjs")], env: { FAKE_SCRIPT: JSON.stringify(steps) } };
}

/** The one stand-in runner directory every suite shares: run.sh, run-helper.sh and bin/ as the real ones behave. */
export const RUNNER_LAYOUT = join(FIXTURES, "actions-runner");

/**
 * The environment that runs the shared stand-in layout fast and side by side: its own listener
 * queue (stateDir), short pauses in place of the real 5 s retry and 1 s update polls, and the root
 * refusal lifted (the tests may run as root, as CI does).
 */
export function layoutEnv(stateDir: string): Record<string, string> {
  return { FAKE_RUNNER_STATE: stateDir, STANDIN_RETRY_SECONDS: "0.05", STANDIN_UPDATE_POLL_SECONDS: "0.05", RUNNER_ALLOW_RUNASROOT: "1" };
}

/** The shared stand-in run.sh and run-helper.sh around scripted-runner.mjs as the listener. */
export function scriptedListener(steps: Step[], stateDir: string): { command: string[]; env: Record<string, string> } {
  return {
    command: [join(RUNNER_LAYOUT, "run.sh")],
    env: {
      ...layoutEnv(stateDir),
      RUNNER_STANDIN_LISTENER: join(FIXTURES, "scripted-runner.mjs"),
      STANDIN_NODE: process.execPath,
      FAKE_SCRIPT: JSON.stringify(steps),
    },
  };
}

/** A job as the runner prints it: started, `seconds` later completed with a result. */
export const job = (name: string, result: string, seconds: number): Step[] => [
  { out: `{ts}: Running job: ${name}` },
  { sleep: seconds },
  { out: `{ts}: Job ${name} completed with result: ${result}` },
];
