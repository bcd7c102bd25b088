/**
 * Time, in one place. Durations, including those across jobs, use the monotonic clock, which a
 * wall-clock step (NTP, an operator, a resumed VM) cannot move; the wall clock is read only for
 * timestamps shown as dates (a job's start or end).
 */
export interface Clock {
  monotonicMs(): number;
  epochMs(): number;
}

/**
 * Monotonic milliseconds, for durations and timeouts. Not performance.now(): the global
 * `performance` object loads a dozen modules of Node's (perf_hooks) that the supervisor
 * otherwise never needs, and every runner would carry them.
 */
export function monotonicMs(): number {
  return Number(process.hrtime.bigint()) / 1e6;
}

/** The system's clocks. */
export const systemClock: Clock = {
  monotonicMs,
  epochMs: () => Date.now(),
};
