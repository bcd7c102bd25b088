import { createServer, type IncomingMessage, type Server } from "node:http";
import { afterEach, describe, expect, it } from "vitest";
import { createPusher } from "../../../src/push/pusher.js";
import { groupUrl, pushMetrics } from "../../../src/push/pushgateway.js";

interface Received {
  method: string;
  url: string;
  contentType: string | undefined;
  auth: string | undefined;
  body: string;
}

const servers: Server[] = [];
afterEach(() => {
  for (const s of servers.splice(0)) {
    s.closeAllConnections();
    s.close();
  }
});

/** A stand-in Pushgateway answering `status` (or never, with "hang"), recording what it got. */
async function gateway(status: number | "hang" = 200): Promise<{ url: string; received: Received[] }> {
  const received: Received[] = [];
  const server = createServer((req: IncomingMessage, res) => {
    let body = "";
    req.on("data", (c: Buffer) => (body += c.toString()));
    req.on("end", () => {
      received.push({
        method: req.method ?? "",
        url: req.url ?? "",
        contentType: req.headers["content-type"],
        auth: req.headers.authorization,
        body,
      });
      if (status === "hang") return;
      res.writeHead(status).end(status === 200 ? "" : "bad push\n");
    });
  });
  servers.push(server);
  const port = await new Promise<number>((r) => server.listen(0, "127.0.0.1", () => r((server.address() as { port: number }).port)));
  return { url: `http://127.0.0.1:${port}`, received };
}

const push = (url: string, timeoutMs = 2_000) =>
  pushMetrics({
    url,
    job: "github-runner",
    runnerName: "runner 1/ü",
    body: Buffer.from("m 1\n"),
    contentType: "text/plain; version=0.0.4",
    timeoutMs,
  });

describe("pushing to a Pushgateway", () => {
  it("PUTs the body to the runner's group, any runner name encoded in base64url", async () => {
    const g = await gateway();
    expect(await push(g.url)).toBeUndefined();
    expect(g.received).toEqual([
      {
        method: "PUT",
        url: `/metrics/job/github-runner/runner_name@base64/${Buffer.from("runner 1/ü").toString("base64url")}`,
        contentType: "text/plain; version=0.0.4",
        auth: undefined,
        body: "m 1\n",
      },
    ]);
    expect(groupUrl("http://g:9091", "j", "").pathname).toBe("/metrics/job/j/runner_name@base64/=");
  });

  it("sends the URL's user info as basic auth", async () => {
    const g = await gateway();
    await push(g.url.replace("http://", "http://ci:s3cret@"));
    expect(g.received[0]!.auth).toBe(`Basic ${Buffer.from("ci:s3cret").toString("base64")}`);
  });

  it("says what went wrong instead of throwing: an error status, no answer in time, nobody listening", async () => {
    expect(await push((await gateway(400)).url)).toBe("HTTP 400: bad push");
    expect(await push((await gateway("hang")).url, 300)).toBe("no answer within 300 ms");
    expect(await push("http://127.0.0.1:1")).toBe("ECONNREFUSED");
  });
});

describe("the pusher", () => {
  it("pushes one after the other, logs without credentials, and does nothing without a URL", async () => {
    const g = await gateway();
    const logged: string[] = [];
    const render = () => Promise.resolve({ contentType: "text/plain; version=0.0.4; charset=utf-8", body: Buffer.from("m 1\n") });
    const url = g.url.replace("http://", "http://ci:s3cret@");
    const pusher = createPusher({
      pushgatewayUrl: url,
      pushgatewayJob: "github-runner",
      runnerName: "r",
      render,
      log: (m) => logged.push(m),
    });
    await Promise.all([pusher("first"), pusher("final")]);
    expect(g.received).toHaveLength(2);
    expect(logged).toEqual([
      `pushed the first metrics to ${g.url.replace("http://", "http://***@")}`,
      `pushed the final metrics to ${g.url.replace("http://", "http://***@")}`,
    ]);
    const silent = createPusher({
      pushgatewayUrl: "",
      pushgatewayJob: "github-runner",
      runnerName: "r",
      render,
      log: (m) => logged.push(m),
    });
    await silent("final");
    expect(logged).toHaveLength(2);
  });
});
