import { spawnSync } from "node:child_process";
import { connect, type Socket } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseSamples, startSupervisor, type Running } from "../../helpers/index.js";
import { scripted } from "../../helpers/index.js";

const TEXT = "text/plain; version=0.0.4; charset=utf-8";
const OPENMETRICS = "application/openmetrics-text; version=1.0.0; charset=utf-8";

let s: Running;
let port: number;
beforeAll(async () => {
  const { command, env } = scripted([
    { out: "Current runner version: '2.336.0'" },
    { out: "{ts}: Listening for Jobs" },
    { out: "{ts}: Running job: a" },
    { out: "{ts}: Job a completed with result: Failed" },
    { sleep: 60 },
  ]);
  s = startSupervisor({ command, env });
  port = await s.port;
  await s.waitFor((m) => m.value("github_runner_jobs_total", { status: "failed" }) === 1);
});
afterAll(() => {
  s.proc.kill("SIGKILL");
});

/** Sends raw bytes and returns what the server answered before closing (bounded by time). */
function raw(bytes: string, waitMs = 1000): Promise<string> {
  return new Promise((resolve) => {
    const sock = connect(port, "127.0.0.1");
    let got = "";
    sock.on("data", (c) => (got += c.toString()));
    sock.on("error", () => undefined);
    sock.on("close", () => resolve(got));
    sock.write(bytes);
    setTimeout(() => {
      sock.destroy();
      resolve(got);
    }, waitMs);
  });
}

describe("/metrics", () => {
  it("serves the Prometheus text format by default, with its exact Content-Type", async () => {
    const res = await s.get("/metrics");
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe(TEXT);
    const body = await res.text();
    expect(Number(res.headers.get("content-length"))).toBe(Buffer.byteLength(body));
    expect(parseSamples(body).value("github_runner_jobs_total", { status: "failed" })).toBe(1);
  });

  it("serves OpenMetrics when asked, and it parses as OpenMetrics", async () => {
    const res = await s.get("/metrics", { Accept: "application/openmetrics-text;version=1.0.0,text/plain;version=0.0.4;q=0.5" });
    expect(res.headers.get("content-type")).toBe(OPENMETRICS);
    const body = await res.text();
    expect(body.endsWith("# EOF\n")).toBe(true);
    const m = parseSamples(body, "openmetrics");
    expect(m.value("github_runner_jobs_total", { status: "failed" })).toBe(1);
    expect(m.value("github_runner_info", { version: "2.336.0" })).toBe(1);
  });

  it("answers HEAD with the headers and no body", async () => {
    const res = await fetch(`http://127.0.0.1:${port}/metrics`, { method: "HEAD" });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe(TEXT);
    expect(Number(res.headers.get("content-length"))).toBeGreaterThan(1000);
    expect(await res.text()).toBe("");
  });

  it("passes promtool check metrics with no findings, also right after an OpenMetrics scrape", async () => {
    await (await s.get("/metrics", { Accept: "application/openmetrics-text" })).text();
    const body = await (await s.get("/metrics")).text();
    const check = spawnSync("promtool", ["check", "metrics"], { input: body, encoding: "utf8" });
    expect(check.error).toBeUndefined();
    expect(`${check.stdout}${check.stderr}`).toBe("");
    expect(check.status).toBe(0);
  });

  it("serves 100 concurrent scrapers at once", async () => {
    const results = await Promise.all(
      Array.from({ length: 100 }, () => s.get("/metrics").then(async (r) => [r.status, (await r.text()).length] as const)),
    );
    expect(results.every(([status, length]) => status === 200 && length > 1000)).toBe(true);
  });
});

describe("/health, / and the rest", () => {
  it("/health says OK while the runner runs", async () => {
    const res = await s.get("/health");
    expect(res.status).toBe(200);
    expect(await res.text()).toBe("OK");
  });

  it("/ links both", async () => {
    const res = await s.get("/");
    expect(res.headers.get("content-type")).toBe("text/html; charset=utf-8");
    const html = await res.text();
    expect(html).toContain('href="metrics"');
    expect(html).toContain('href="health"');
  });

  it("404 for other paths, 405 with Allow for other methods; a query string is ignored", async () => {
    expect((await s.get("/nope")).status).toBe(404);
    expect((await s.get("/metrics/")).status).toBe(404);
    expect((await s.get("/metrics?x=1")).status).toBe(200);
    const post = await fetch(`http://127.0.0.1:${port}/metrics`, { method: "POST", body: "x" });
    expect(post.status).toBe(405);
    expect(post.headers.get("allow")).toBe("GET, HEAD");
  });
});

describe("abusive clients never crash the supervisor or block a scrape", () => {
  it("garbage, a huge header, and a request line without end get answers or a close", async () => {
    expect(await raw("\x00\x01\x02 garbage \r\n\r\n")).toMatch(/^HTTP\/1\.1 400/);
    expect(await raw(`GET /metrics HTTP/1.1\r\nHost: x\r\nX-Big: ${"a".repeat(20_000)}\r\n\r\n`)).toMatch(/^HTTP\/1\.1 431/);
    expect(await raw("GET /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: -5\r\n\r\n")).toMatch(/^HTTP\/1\.1 400/);
  });

  it("a scrape is served while 50 slow clients hold half-sent requests", async () => {
    const slow: Socket[] = [];
    for (let i = 0; i < 50; i++) {
      const sock = connect(port, "127.0.0.1");
      sock.on("error", () => undefined);
      sock.write("GET /metrics HTTP/1.1\r\nHost: x\r\n");
      slow.push(sock);
    }
    try {
      const res = await s.get("/metrics");
      expect(res.status).toBe(200);
      expect((await res.text()).length).toBeGreaterThan(1000);
    } finally {
      for (const sock of slow) sock.destroy();
    }
  });

  it("a request whose headers never end is answered 408 and closed within about 5 s", async () => {
    const t0 = performance.now();
    const answer = await raw("GET /metrics HTTP/1.1\r\nHost: x\r\n", 9_000);
    expect(answer).toMatch(/^HTTP\/1\.1 408/);
    expect(performance.now() - t0).toBeLessThan(8_000);
  }, 15_000);

  it("the runner's output and the process are untouched by all of it", async () => {
    expect(s.proc.exitCode).toBeNull();
    expect(s.stdout().toString()).toContain("Job a completed with result: Failed");
    expect((await s.get("/health")).status).toBe(200);
  });
});
