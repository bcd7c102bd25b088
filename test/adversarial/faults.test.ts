// Faults around the runner: it dies mid-job, its reader goes away, its port is taken, a
// grandchild holds its pipe. The supervisor reports what happened and returns the runner's code.
import { afterEach, describe, expect, it } from "vitest";
import { stopSupervisor, type Running } from "../helpers/supervisor.js";
import { scripted } from "../integration/helpers.js";
import { sleep, startProduction } from "./harness.js";

const running: Running[] = [];
afterEach(async () => {
  for (const s of running.splice(0)) await stopSupervisor(s);
});

describe("the runner dies", () => {
  it("SIGKILLed mid-job: the job is closed as unknown, the runner shown offline and idle, exit 137", async () => {
    const { command, env } = scripted([{ out: "{ts}: Listening for Jobs" }, { out: "{ts}: Running job: build" }, { sleep: 0.5 }, { kill: "SIGKILL" }]);
    const s = startProduction({ command, env: { ...env, METRICS_LINGER: "30" } });
    running.push(s);
    await s.port;
    for (let i = 0; i < 100 && !/the runner exited/.test(s.stderr()); i++) await sleep(50);
    const m = await s.metrics();
    expect(m.value("github_runner_jobs_total", { status: "unknown" })).toBe(1);
    expect(m.value("github_runner_job_duration_seconds_count", { status: "unknown" })).toBe(1);
    expect(m.value("github_runner_busy")).toBe(0);
    expect(m.value("github_runner_status")).toBe(0);
    expect((await s.get("/health")).status).toBe(503);
    s.proc.kill("SIGTERM");
    expect((await s.exit).code).toBe(137);
  });
});
