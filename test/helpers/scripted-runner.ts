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

/** A job as the runner prints it: started, `seconds` later completed with a result. */
export const job = (name: string, result: string, seconds: number): Step[] => [
  { out: `{ts}: Running job: ${name}` },
  { sleep: seconds },
  { out: `{ts}: Job ${name} completed with result: ${result}` },
];
