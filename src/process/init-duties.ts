import { constants } from "node:os";
import type { Log } from "../log.js";
import { loadNativeCalls, type NativeCalls } from "./native.js";
import { startReaper } from "./reaper.js";

export interface InitDutiesOptions {
  /** Signal to receive when our parent dies; "" for none. */
  readonly parentDeathSignal: NodeJS.Signals | "";
  readonly log: Log;
}

/**
 * What PID 1 owes the container besides its child: reaping orphaned zombies. When not PID 1,
 * the supervisor registers as a child subreaper so orphans still come to it (tini's -s).
 * Without the native calls it warns once and supervises on, as tini warns when it cannot reap.
 * Resolves with a function that stops the reaper.
 */
export async function takeOnInitDuties(options: InitDutiesOptions): Promise<() => void> {
  const { log } = options;
  let native: NativeCalls;
  try {
    native = await loadNativeCalls();
  } catch (error) {
    const why = error instanceof Error ? error.message : String(error);
    const consequence =
      process.pid === 1
        ? "orphaned zombie processes will not be reaped"
        : "not PID 1 and cannot register as a child subreaper: orphaned zombie processes will not be reaped";
    const pdeath = options.parentDeathSignal ? `; the parent-death signal ${options.parentDeathSignal} is not set` : "";
    log(`warning: native calls unavailable (${why}): ${consequence}${pdeath}`);
    return () => undefined;
  }

  if (process.pid !== 1 && !native.becomeSubreaper()) {
    log("warning: not PID 1 and cannot register as a child subreaper: orphaned zombie processes will not be reaped");
  }
  if (options.parentDeathSignal && !native.setParentDeathSignal(constants.signals[options.parentDeathSignal])) {
    log(`warning: cannot set the parent-death signal ${options.parentDeathSignal}`);
  }
  let reported = false;
  return startReaper(native, (error) => {
    if (reported) return;
    reported = true;
    log(`warning: reaping failed (${error instanceof Error ? error.message : String(error)}); the runner is unaffected`);
  });
}
