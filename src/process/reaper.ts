import type { NativeCalls } from "./native.js";
import { isOwnChild, onOwnChildExit } from "./own-children.js";

// A safety net: SIGCHLDs merge, and a sweep stops early at one of our own children.
const SWEEP_INTERVAL_MS = 1_000;
// Bound on one sweep, so a fork bomb of orphans cannot hold the event loop.
const MAX_PER_SWEEP = 4_096;

/**
 * Reaps orphaned zombies without touching our own children: peek at an exited child with
 * waitid(WNOWAIT); if it is not ours, reap exactly that pid and look again; if it is ours,
 * stop and leave it to libuv (a waitpid(-1) would steal its exit status).
 */
export function reapOrphans(native: NativeCalls): number {
  let reaped = 0;
  while (reaped < MAX_PER_SWEEP) {
    const pid = native.peekExited();
    if (pid <= 0 || isOwnChild(pid)) break;
    if (!native.reap(pid)) break;
    reaped++;
  }
  return reaped;
}

/** Reaps on every SIGCHLD, after each own child's exit, and once a second; returns a stop function. */
export function startReaper(native: NativeCalls, onError: (error: unknown) => void): () => void {
  let scheduled = false;
  const sweep = () => {
    scheduled = false;
    try {
      reapOrphans(native);
    } catch (error) {
      onError(error);
    }
  };
  // Coalesced: a burst of SIGCHLDs in one turn makes one sweep.
  const schedule = () => {
    if (scheduled) return;
    scheduled = true;
    setImmediate(sweep);
  };
  process.on("SIGCHLD", schedule);
  const stopOwn = onOwnChildExit(schedule);
  const timer = setInterval(schedule, SWEEP_INTERVAL_MS).unref();
  schedule();
  return () => {
    process.off("SIGCHLD", schedule);
    stopOwn();
    clearInterval(timer);
  };
}
