/**
 * Monotonic milliseconds, for durations and timeouts. Not performance.now(): the global
 * `performance` object loads a dozen modules of Node's (perf_hooks) that the supervisor
 * otherwise never needs, and every runner would carry them.
 */
export function monotonicMs(): number {
  return Number(process.hrtime.bigint()) / 1e6;
}
