import { requestFunction } from "../common/outbound.js";

export interface PushOptions {
  /** Base URL of the Pushgateway, e.g. http://pushgateway:9091. */
  readonly url: string;
  readonly job: string;
  /** Grouping key besides job: the runner's name, which every pushed series carries too. */
  readonly runnerName: string;
  readonly body: Buffer;
  readonly contentType: string;
  readonly timeoutMs: number;
}

/** The group's URL: /metrics/job/JOB/runner_name@base64/NAME (base64url, so any name fits in a path segment). */
export function groupUrl(url: string, job: string, runnerName: string): URL {
  const name = Buffer.from(runnerName, "utf8").toString("base64url") || "=";
  return new URL(`${url}/metrics/job/${encodeURIComponent(job)}/runner_name@base64/${name}`);
}

/**
 * Pushes the final metrics with PUT, replacing the runner's group, so the last job of an
 * ephemeral runner reaches Prometheus after the runner is gone. User info in the URL goes as
 * basic auth (node:http does that for a URL). Resolves with an error text, or undefined on
 * success; never throws, never waits longer than timeoutMs.
 */
export async function pushMetrics(o: PushOptions): Promise<string | undefined> {
  const target = groupUrl(o.url, o.job, o.runnerName);
  const send = await requestFunction(target);
  return new Promise((resolve) => {
    let settled = false;
    const settle = (error: string | undefined) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(error);
    };
    const req = send(target, { method: "PUT", headers: { "content-type": o.contentType, "content-length": o.body.length } });
    const timer = setTimeout(() => {
      req.destroy();
      settle(`no answer within ${o.timeoutMs} ms`);
    }, o.timeoutMs);
    req.on("error", (error: NodeJS.ErrnoException) => settle(error.code ?? error.message));
    req.on("response", (res) => {
      let text = "";
      res.setEncoding("utf8");
      res.on("data", (c: string) => {
        if (text.length < 512) text += c;
      });
      res.on("end", () => {
        const ok = res.statusCode !== undefined && res.statusCode >= 200 && res.statusCode < 300;
        settle(ok ? undefined : `HTTP ${res.statusCode}: ${text.trim().slice(0, 200)}`);
      });
      res.on("error", () => settle("answer cut off"));
    });
    req.end(o.body);
  });
}
