// The password checker's thread: bcrypt is slow by design (tens of milliseconds a check), and
// the main thread carries the runner's output, so checks run here, one at a time.
import bcrypt from "bcryptjs";
import { parentPort } from "node:worker_threads";

/** One check asked of this thread. */
export interface CheckRequest {
  readonly id: number;
  readonly password: string;
  readonly hash: string;
}

/** Its answer. */
export interface CheckResult {
  readonly id: number;
  readonly ok: boolean;
  /** How long the comparison took on this thread, in milliseconds. */
  readonly ms: number;
}

parentPort?.on("message", ({ id, password, hash }: CheckRequest) => {
  let ok: boolean;
  const started = performance.now();
  try {
    ok = bcrypt.compareSync(password, hash);
  } catch {
    ok = false;
  }
  parentPort!.postMessage({ id, ok, ms: performance.now() - started } satisfies CheckResult);
});
