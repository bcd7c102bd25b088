import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import {
  FIXTURES,
  freePort,
  parseSamples,
  startSupervisor,
  until,
  type Running,
  startPushgateway,
  type Pushgateway,
} from "../../helpers/index.js";

const HOOK_RUNNER = join(FIXTURES, "context");
let running: Running[] = [];
const gateways: Pushgateway[] = [];

afterEach(async () => {
  for (const r of running) if (r.proc.exitCode === null && r.proc.signalCode === null) r.proc.kill("SIGKILL");
  await Promise.all(running.map((r) => r.exit));
  running = [];
  for (const g of gateways.splice(0)) await g.stop();
});

describe("ephemeral runners: the last job is not lost", () => {
  it("keeps serving /metrics after the child exits, with the child's exit code, and SIGTERM ends the wait", async () => {
    const r = startSupervisor({ runnerHome: HOOK_RUNNER, env: { METRICS_LINGER: "60", FAKE_EXIT: "3" } });
    running.push(r);
    await until(() => r.stderr().includes("serving metrics for 60 s more"));
    // The child is gone and its job is counted in a scrape taken after it exited.
    const s = await r.metrics();
    expect(s.value("github_runner_jobs_total", { status: "success" })).toBe(1);
    expect(s.value("github_runner_status")).toBe(0);
    expect((await r.get("/health")).status).toBe(503);
    r.proc.kill("SIGTERM");
    expect(await r.exit).toEqual({ code: 3, signal: null });
  });

  it("ends the wait by itself after METRICS_LINGER seconds", async () => {
    const r = startSupervisor({ runnerHome: HOOK_RUNNER, env: { METRICS_LINGER: "0.5" } });
    running.push(r);
    expect(await r.exit).toEqual({ code: 0, signal: null });
    expect(r.stderr()).toContain("serving metrics for 0.5 s more");
  });

  it("pushes the metrics at 0 when the child starts and the final ones when it exits", async () => {
    const gateway = await startPushgateway();
    gateways.push(gateway);
    const url = gateway.url;
    const r = startSupervisor({
      runnerHome: HOOK_RUNNER,
      env: { PUSHGATEWAY_URL: url, RUNNER_NAME: "ephemeral-7/x", FAKE_CACHE: "apt", FAKE_CACHE_HIT: "false" },
    });
    running.push(r);
    expect(await r.exit).toEqual({ code: 0, signal: null });
    const log = r.stderr();
    expect(log).toContain(`pushed the first metrics to ${url}`);
    expect(log.indexOf("pushed the first")).toBeLessThan(log.indexOf(`pushed the final metrics to ${url}`));
    const pushed = parseSamples(await (await fetch(`${url}/metrics`)).text());
    const group = { job: "github-runner", runner_name: "ephemeral-7/x", runner_type: "standard" };
    expect(pushed.value("github_runner_jobs_total", { ...group, status: "success" })).toBe(1);
    expect(pushed.value("github_runner_cache_requests_total", { ...group, cache_type: "apt", result: "miss" })).toBe(1);
    expect(pushed.value("github_runner_job_duration_seconds_count", { ...group, status: "success" })).toBe(1);
  });

  it("says so and still exits with the child's code when the Pushgateway is unreachable", async () => {
    const port = await freePort();
    const r = startSupervisor({ runnerHome: HOOK_RUNNER, env: { PUSHGATEWAY_URL: `http://127.0.0.1:${port}`, FAKE_EXIT: "4" } });
    running.push(r);
    expect(await r.exit).toEqual({ code: 4, signal: null });
    expect(r.stderr()).toMatch(/pushing the final metrics to http:\/\/127\.0\.0\.1:\d+ failed: ECONNREFUSED/);
  });
});
