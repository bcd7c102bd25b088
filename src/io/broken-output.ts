/**
 * When our own write to stdout or stderr last failed with EPIPE (the reader of the container's
 * log went away). The kernel answers such a write with a SIGPIPE to us, which must not be
 * forwarded: the runner is not to die because its log reader did.
 */
let brokenAtMs = Number.NEGATIVE_INFINITY;

/** Records that one of our outputs just failed with EPIPE. */
export function noteOutputBroken(): void {
  brokenAtMs = performance.now();
}

/** Whether one of our outputs failed with EPIPE within the last `ms` milliseconds. */
export function outputBrokeWithin(ms: number): boolean {
  return performance.now() - brokenAtMs <= ms;
}
