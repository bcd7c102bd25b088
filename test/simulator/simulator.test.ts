import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { ROOT, startSupervisor, type Running } from "../helpers/index.js";

let s: Running | undefined;
afterEach(() => s?.proc.kill("SIGKILL"));

describe("the built-in default: the supervisor around the simulated runner (npm start)", () => {
  it("shows every job status, a connection error, the version, job context through the hooks, and stops cleanly", async () => {
    s = startSupervisor({
      runnerHome: ROOT,
      command: [process.execPath, join(ROOT, "dist", "simulator", "simulated-runner.js")],
      args: ["--deploy-pattern", "Deploy"],
      // The simulation ends after 12 jobs; the endpoint stays up a little for the last scrape.
      env: { SIMULATOR_PACE: "0.04", SIMULATOR_JOBS: "12", METRICS_LINGER: "10" },
    });
    const statuses = ["success", "failed", "cancelled", "skipped", "abandoned", "unknown"];
    const m = await s.waitFor(
      (m) => statuses.every((status) => (m.value("github_runner_jobs_total", { status }) ?? 0) > 0) && m.value("github_runner_deployments_total", { result: "success" }) === 2,
      20_000,
    );
    expect(m.value("github_runner_info", { version: "2.336.0" })).toBe(1);
    expect(m.value("github_runner_connection_errors_total", { reason: "connect_error" })).toBe(1);
    const total = statuses.reduce((sum, status) => sum + m.value("github_runner_jobs_total", { status })!, 0);
    expect(total).toBeGreaterThanOrEqual(11);
    // Through the supervisor's own hooks and its report command, as on a real runner.
    expect(m.value("github_runner_context_messages_total", { kind: "job_started" })).toBeGreaterThanOrEqual(11);
    expect(m.value("github_runner_cache_requests_total", { cache_type: "npm", result: "hit" })).toBeGreaterThan(0);
    expect(m.value("github_runner_cache_requests_total", { cache_type: "npm", result: "miss" })).toBeGreaterThan(0);
    // Deploy runs: failed, then succeeded (a recovery), and one more success.
    expect(m.value("github_runner_deployments_total", { result: "failed" })).toBe(1);
    expect(m.value("github_runner_deployments_total", { result: "success" })).toBe(2);
    expect(m.value("github_runner_deploy_lead_time_seconds_count")).toBe(2);
    expect(m.value("github_runner_deploy_recovery_time_seconds_count")).toBe(1);
    expect(m.value("github_runner_queue_time_lookup_failures_total", { reason: "no_token" })).toBeGreaterThanOrEqual(11);
    s.proc.kill("SIGINT");
    expect((await s.exit).code).toBe(0);
    expect(s.stdout().toString()).toMatch(/Exiting runner\.\.\.\n$/);
  });
});
