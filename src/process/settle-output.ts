import type { PassThrough } from "../io/passthrough.js";

/** How long the child's pipes may stay silent after it exited before we stop reading them. */
export const OUTPUT_IDLE_MS = 50;

/**
 * After the child exits, waits until its output is all handed on: the pipes reach their end,
 * or they have been quiet for OUTPUT_IDLE_MS (a background grandchild may hold them open for
 * ever). A copy that waits on a slow reader of our stdout is never cut short.
 */
export async function settleOutput(copies: readonly PassThrough[]): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const quiet = new Promise<void>((resolve) => {
    timer = setInterval(() => {
      const now = performance.now();
      if (copies.every((c) => !c.waiting() && now - c.lastDataMs() >= OUTPUT_IDLE_MS)) resolve();
    }, 10);
  });
  await Promise.race([Promise.all(copies.map((c) => c.ended)), quiet]);
  clearInterval(timer);
  for (const copy of copies) copy.stop();
}
