import { constants } from "node:os";
import { describeError, logAtMost, type Log } from "../common/log.js";
import { keepMemoryDown } from "./memory.js";
import { loadNativeCalls, type NativeCalls } from "./native.js";
import { startReaper } from "./reaper.js";

export interface InitDutiesOptions {
  /** Signal to receive when our parent dies; "" for none. */
  readonly parentDeathSignal: NodeJS.Signals | "";
  /** A secret (a token, a password) is in our environment or memory: keep the runner's user from reading them. */
  readonly holdsSecrets: boolean;
  readonly log: Log;
}

/**
 * What PID 1 owes the container besides its child: reaping orphaned zombies, and a small
 * footprint (memory.ts gives what it no longer needs back). When not PID 1,
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
    const why = describeError(error);
    const consequence =
      process.pid === 1
        ? "orphaned zombie processes will not be reaped"
        : "not PID 1 and cannot register as a child subreaper: orphaned zombie processes will not be reaped";
    const pdeath = options.parentDeathSignal ? `; the parent-death signal ${options.parentDeathSignal} is not set` : "";
    const secrets = options.holdsSecrets ? "; processes of the runner's user can read this process's environment" : "";
    log(`warning: native calls unavailable (${why}): ${consequence}${pdeath}${secrets}`);
    return keepMemoryDown();
  }

  if (process.pid !== 1 && !native.becomeSubreaper()) {
    log("warning: not PID 1 and cannot register as a child subreaper: orphaned zombie processes will not be reaped");
  }
  // Jobs run as the runner's user, often ours too: without this they could read the token from /proc/PID/environ.
  if (options.holdsSecrets && !native.makeUndumpable())
    log("warning: cannot hide this process's environment from the runner's user (PR_SET_DUMPABLE)");
  if (options.parentDeathSignal && !native.setParentDeathSignal(constants.signals[options.parentDeathSignal])) {
    log(`warning: cannot set the parent-death signal ${options.parentDeathSignal}`);
  }
  const stopKeeping = keepMemoryDown({ trim: () => native.trimMemory() });
  const reportOnce = logAtMost(1, log);
  const stopReaper = startReaper(native, (error) =>
    reportOnce(`warning: reaping failed (${describeError(error)}); the runner is unaffected`),
  );
  return () => {
    stopKeeping();
    stopReaper();
  };
}
