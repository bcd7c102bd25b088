import type { OptionValues } from "./config/config.js";
import type { Log } from "./common/log.js";
import { STOP_SIGNALS, type SignalRouter } from "./process/signals.js";
import type { Push } from "./push/pusher.js";

/** Longest wait for queue-time look-ups still running before the final push. */
export const PUSH_WAIT_FOR_LOOKUPS_MS = 3000;

export interface AfterExitOptions extends Pick<OptionValues, "pushgatewayUrl" | "metricsLinger"> {
  readonly signals: SignalRouter;
  /** Whether the endpoint serves (lingering without one would be pointless). */
  readonly serving: boolean;
  /** Whether a SIGTERM or SIGINT stopped the child: its runner was stopped, not finished. */
  readonly stopAsked: boolean;
  readonly push: Push;
  /** Resolves when the queue-time look-ups started so far have finished. */
  readonly settled: () => Promise<void>;
  readonly log: Log;
}

/**
 * After the child exited, for runners that run one job and exit: push the final metrics to a
 * Pushgateway, then keep serving /metrics for a while so a scrape still sees the last job. A
 * SIGTERM or SIGINT (now, or one that stopped the child) ends or skips the wait; the exit code
 * stays the child's either way.
 */
export async function afterExit(o: AfterExitOptions): Promise<void> {
  let stopped = o.stopAsked;
  let endWait: (() => void) | undefined;
  o.signals.attach((signal) => {
    if (!STOP_SIGNALS.has(signal)) return;
    stopped = true;
    endWait?.();
  });
  if (o.pushgatewayUrl) {
    await Promise.race([o.settled(), delay(PUSH_WAIT_FOR_LOOKUPS_MS)]);
    await o.push("final");
  }
  if (o.metricsLinger <= 0 || stopped || !o.serving) return;
  o.log(`the runner exited; serving metrics for ${o.metricsLinger} s more (SIGTERM ends this)`);
  await new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, o.metricsLinger * 1000);
    endWait = () => {
      clearTimeout(timer);
      resolve();
    };
  });
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}
