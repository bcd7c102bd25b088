import { monotonicMs } from "../common/clock.js";
import type { PassThrough } from "../io/passthrough.js";

/** How long the child's pipes may stay silent after it exited before we stop reading them. */
export const OUTPUT_IDLE_MS = 50;
/** The longest the supervisor reads on after the child exited: a grandchild may write for ever. */
export const OUTPUT_DEADLINE_MS = 1000;

/**
 * After the child exits, reads its pipes on until they reach their end, or have been quiet for
 * OUTPUT_IDLE_MS (a background grandchild may hold them open for ever), or OUTPUT_DEADLINE_MS
 * has passed (a grandchild may write for ever, and the container must still stop). What was
 * read by then is still written out; what a grandchild writes later is not forwarded.
 */
export async function settleOutput(copies: readonly PassThrough[]): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const quiet = new Promise<void>((resolve) => {
    timer = setInterval(() => {
      const now = monotonicMs();
      if (copies.every((c) => !c.waiting() && now - c.lastDataMs() >= OUTPUT_IDLE_MS)) resolve();
    }, 10);
  });
  let deadline: NodeJS.Timeout | undefined;
  const late = new Promise<void>((resolve) => (deadline = setTimeout(resolve, OUTPUT_DEADLINE_MS)));
  await Promise.race([Promise.all(copies.map((c) => c.ended)), quiet, late]);
  clearInterval(timer);
  clearTimeout(deadline);
  for (const copy of copies) copy.stop();
}
