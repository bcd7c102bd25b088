import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { ROOT, startSupervisor, type Running } from "./helpers/supervisor.js";

let s: Running | undefined;
afterEach(() => s?.proc.kill("SIGKILL"));

describe("the built-in default: the supervisor around the simulated runner (npm start)", () => {
  it("shows every job status, a connection error, the runner's version, and stops cleanly on SIGINT", async () => {
    s = startSupervisor({
      runnerHome: ROOT,
      command: [process.execPath, join(ROOT, "dist", "simulator", "simulated-runner.js")],
      env: { SIMULATOR_PACE: "0.04", SIMULATOR_JOBS: "12" },
    });
    const statuses = ["success", "failed", "cancelled", "skipped", "abandoned", "unknown"];
    const m = await s.waitFor((m) => statuses.every((status) => (m.value("github_runner_jobs_total", { status }) ?? 0) > 0), 20_000);
    expect(m.value("github_runner_info", { version: "2.336.0" })).toBe(1);
    expect(m.value("github_runner_connection_errors_total", { reason: "connect_error" })).toBe(1);
    const total = statuses.reduce((sum, status) => sum + m.value("github_runner_jobs_total", { status })!, 0);
    expect(total).toBeGreaterThanOrEqual(11);
    s.proc.kill("SIGINT");
    expect((await s.exit).code).toBe(0);
    expect(s.stdout().toString()).toMatch(/Exiting runner\.\.\.\n$/);
  });
});
