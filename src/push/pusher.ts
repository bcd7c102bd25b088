import type { Config } from "../config.js";
import type { Log } from "../log.js";
import type { Observer } from "../observer.js";
import { withoutCredentials } from "../redact.js";
import { pushMetrics } from "./pushgateway.js";

const PUSH_TIMEOUT_MS = 5000;

/**
 * Pushes the metrics to the Pushgateway, one push after the other. The first push, at start,
 * puts every counter there at 0, so that increase() over the gateway's series sees the final
 * push's job as an increase.
 */
export function createPusher(config: Config, observer: Observer, log: Log): (which: "first" | "final") => Promise<void> {
  let last: Promise<void> = Promise.resolve();
  const pushNow = async (which: string): Promise<void> => {
    if (!config.pushgatewayUrl) return;
    const { body, contentType } = await observer.render("text");
    const error = await pushMetrics({
      url: config.pushgatewayUrl,
      job: config.pushgatewayJob,
      runnerName: config.runnerName,
      body,
      contentType,
      timeoutMs: PUSH_TIMEOUT_MS,
    });
    const where = withoutCredentials(config.pushgatewayUrl);
    log(error ? `pushing the ${which} metrics to ${where} failed: ${error}` : `pushed the ${which} metrics to ${where}`);
  };
  return (which) => (last = last.then(() => pushNow(which)));
}
