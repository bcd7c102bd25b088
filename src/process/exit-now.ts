import { loadNativeCalls } from "./native.js";

/**
 * Ends the supervisor with `code`, once main has written everything out. Node's own exit joins
 * V8's compiler threads, and one that waits for a garbage collection the exiting main thread
 * will never run deadlocks it (nodejs/node#54918, seen here once after a runner's exit under
 * load): PID 1, and so the container, would stay up with the runner gone. libc's _exit leaves
 * without that join; the exit listeners run first, as Node's exit runs them (the guard that
 * kills the runner's process group on an abnormal exit is one). Where the native calls cannot
 * load, Node's exit it is.
 */
export async function exitNow(code: number): Promise<never> {
  process.exitCode = code;
  process.emit("exit", code);
  try {
    (await loadNativeCalls()).exit(code);
  } catch {
    // no koffi or no libc: Node's exit
  }
  return process.exit(code);
}
