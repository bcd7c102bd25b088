import type { Config } from "./config.js";
import type { Endpoint } from "./http/server.js";
import type { JobContextService } from "./context/service.js";
import type { Log } from "./log.js";
import type { Observer } from "./observer.js";
import { STOP_SIGNALS, type SignalRouter } from "./process/signals.js";

/** Longest wait for queue-time look-ups still running before the final push. */
const PUSH_WAIT_FOR_LOOKUPS_MS = 3000;

/**
 * After the child exited, for runners that run one job and exit: push the final metrics to a
 * Pushgateway, then keep serving /metrics for a while so a scrape still sees the last job. A
 * SIGTERM or SIGINT (now, or one that stopped the child) ends or skips the wait; the exit code
 * stays the child's either way.
 */
export async function lastWords(
  config: Config,
  observer: Observer,
  signals: SignalRouter,
  endpoint: Promise<Endpoint | undefined>,
  context: JobContextService | undefined,
  log: Log,
  stopAsked: boolean,
  push: (which: "final") => Promise<void>,
): Promise<void> {
  // A container that is being stopped does not wait: its runner was stopped, not finished.
  let stopped = stopAsked;
  let endWait: (() => void) | undefined;
  signals.attach((signal) => {
    if (!STOP_SIGNALS.has(signal)) return;
    stopped = true;
    endWait?.();
  });
  if (config.pushgatewayUrl) {
    await Promise.race([observer.lookupsSettled(), delay(PUSH_WAIT_FOR_LOOKUPS_MS)]);
    await push("final");
  }
  await context?.close();
  if (config.metricsLinger > 0 && !stopped && (await endpoint)) {
    log(`the runner exited; serving metrics for ${config.metricsLinger} s more (SIGTERM ends this)`);
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, config.metricsLinger * 1000);
      endWait = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}
