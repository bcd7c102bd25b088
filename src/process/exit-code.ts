import type { ChildExit } from "./child.js";
import { exitCodeForSignal } from "./signals.js";

/** The supervisor's exit code for how the child ended, as tini computes it. */
export function exitCodeOf(exit: ChildExit): number {
  switch (exit.kind) {
    case "exited":
      return exit.code;
    case "signaled":
      return exitCodeForSignal(exit.signal);
    case "spawn-failed":
      return exit.errno === "ENOENT" ? 127 : 126;
  }
}

/** The supervisor's exit code, with the chosen codes of the child reported as 0 (tini's -e). */
export function finalExitCode(exit: ChildExit, toZero: readonly number[]): number {
  const code = exitCodeOf(exit);
  return exit.kind !== "spawn-failed" && toZero.includes(code) ? 0 : code;
}

/** One line saying why the command could not be started. */
export function spawnFailureMessage(exit: Extract<ChildExit, { kind: "spawn-failed" }>, command: string, cwd: string): string {
  const why = exit.errno === "ENOENT" ? "not found" : exit.errno === "EACCES" ? "permission denied (is it executable?)" : exit.message;
  return `cannot run ${JSON.stringify(command)} in ${cwd}: ${why}`;
}
