import type { OptionValues } from "../config/config.js";
import type { Log } from "../common/log.js";
import type { Exposition } from "../metrics/render.js";
import { withoutCredentials } from "../common/redact.js";
import { pushMetrics } from "./pushgateway.js";

/** The longest one push to the Pushgateway may take. */
export const PUSH_TIMEOUT_MS = 5000;

export type PusherOptions = Pick<OptionValues, "pushgatewayUrl" | "pushgatewayJob" | "runnerName"> & {
  readonly render: (format: "text") => Promise<Exposition>;
  readonly log: Log;
};

/** Which push: at start (every counter at 0), or the final values after the child exited. */
export type Push = (which: "first" | "final") => Promise<void>;

/**
 * Pushes the metrics to the Pushgateway, one push after the other (nothing without a URL). The
 * first push, at start, puts every counter there at 0, so that increase() over the gateway's
 * series sees the final push's job as an increase.
 */
export function createPusher(o: PusherOptions): Push {
  let last: Promise<void> = Promise.resolve();
  const where = withoutCredentials(o.pushgatewayUrl);
  const pushNow = async (which: string): Promise<void> => {
    if (!o.pushgatewayUrl) return;
    const { body, contentType } = await o.render("text");
    const error = await pushMetrics({
      url: o.pushgatewayUrl,
      job: o.pushgatewayJob,
      runnerName: o.runnerName,
      body,
      contentType,
      timeoutMs: PUSH_TIMEOUT_MS,
    });
    o.log(error ? `pushing the ${which} metrics to ${where} failed: ${error}` : `pushed the ${which} metrics to ${where}`);
  };
  return (which) => (last = last.then(() => pushNow(which)));
}
