// The runner_stopped cause with the built supervisor and the shared stand-in runner caught mid-job
// (test/fixtures/actions-runner): a stop that reached the runner while its job ran. A stop
// skips METRICS_LINGER, so the figures are read from the final push to Debian's Pushgateway.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import {
  layoutEnv,
  parseSamples,
  RUNNER_LAYOUT,
  startSupervisor,
  until,
  type Running,
  type Samples,
  startPushgateway,
  type Pushgateway,
} from "../../helpers/index.js";

let running: Running[] = [];
const gateways: Pushgateway[] = [];
const temp: string[] = [];

afterEach(async () => {
  for (const r of running) if (r.proc.exitCode === null && r.proc.signalCode === null) r.proc.kill("SIGKILL");
  await Promise.all(running.map((r) => r.exit));
  running = [];
  for (const g of gateways.splice(0)) await g.stop();
  for (const d of temp.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** Runs the fake runner's job under the supervisor, stops it mid-job with SIGTERM, and returns the final push. */
async function stoppedMidJob(env: Record<string, string>): Promise<Samples> {
  const gateway = await startPushgateway();
  gateways.push(gateway);
  const { url } = gateway;
  const { JOB_SECONDS, ...rest } = env;
  const state = mkdtempSync(join(tmpdir(), "fake-runner-"));
  temp.push(state);
  const r = startSupervisor({
    runnerHome: RUNNER_LAYOUT,
    command: [join(RUNNER_LAYOUT, "run.sh")],
    env: {
      ...layoutEnv(state),
      FAKE_JOBS: "1",
      FAKE_STEP_SECONDS: JOB_SECONDS ?? "2",
      PUSHGATEWAY_URL: url,
      RUNNER_NAME: "stopped",
      ...rest,
    },
  });
  running.push(r);
  await until(() => r.stdout().toString().includes("Running job"), 30_000, "the job's start");
  r.proc.kill("SIGTERM");
  await r.exit;
  expect(r.stderr()).toContain("pushed the final metrics");
  return parseSamples(await (await fetch(`${url}/metrics`)).text());
}

const group = { job: "github-runner", runner_name: "stopped", runner_type: "standard" };
const causes = (m: Samples) =>
  Object.fromEntries(
    ["runner_stopped", "cancelled", "job_failed", "runner_lost"].map((cause) => [
      cause,
      m.value("github_runner_job_failures_total", { ...group, cause }),
    ]),
  );

describe("why a job ended, when the supervisor is stopped", () => {
  it("SIGTERM mid-job: the runner prints Canceled, the cause is runner_stopped", async () => {
    const m = await stoppedMidJob({ JOB_SECONDS: "20" });
    expect(m.value("github_runner_jobs_total", { ...group, status: "cancelled" })).toBe(1);
    expect(causes(m)).toEqual({ runner_stopped: 1, cancelled: 0, job_failed: 0, runner_lost: 0 });
  });

  it("a drain past its timeout is a stop: runner_stopped", async () => {
    const m = await stoppedMidJob({ JOB_SECONDS: "20", DRAIN_ENABLED: "true", DRAIN_TIMEOUT: "1" });
    expect(m.value("github_runner_jobs_total", { ...group, status: "cancelled" })).toBe(1);
    expect(causes(m)).toEqual({ runner_stopped: 1, cancelled: 0, job_failed: 0, runner_lost: 0 });
  });

  it("a drain the job finishes within is no stop: the job succeeds, without a cause", async () => {
    const m = await stoppedMidJob({ JOB_SECONDS: "2", DRAIN_ENABLED: "true" });
    expect(m.value("github_runner_jobs_total", { ...group, status: "success" })).toBe(1);
    expect(causes(m)).toEqual({ runner_stopped: 0, cancelled: 0, job_failed: 0, runner_lost: 0 });
  });
});
