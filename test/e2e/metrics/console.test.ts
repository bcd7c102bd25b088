import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { startSupervisor, type Running } from "../../helpers/index.js";
import { job, scripted } from "../../helpers/index.js";

const running: Running[] = [];
afterEach(() => {
  for (const s of running.splice(0)) s.proc.kill("SIGKILL");
});
function start(...args: Parameters<typeof startSupervisor>): Running {
  const s = startSupervisor(...args);
  running.push(s);
  return s;
}

const STATUSES = ["success", "failed", "cancelled", "skipped", "abandoned", "unknown"];

describe("metrics from a runner's console, scraped over HTTP", () => {
  it("counts every result, measures durations and never counts the WRITE LINE echo", async () => {
    const { command, env } = scripted([
      { out: "" },
      { out: "√ Connected to GitHub" },
      { out: "" },
      { out: "[RUNNER 2026-11-25 10:00:00Z INFO Terminal] WRITE LINE: Current runner version: '2.336.0'" },
      { out: "Current runner version: '2.336.0'" },
      { out: "{ts}: Listening for Jobs" },
      { out: "[RUNNER 2026-11-25 10:00:00Z INFO Terminal] WRITE LINE: 2026-11-25 10:00:00Z: Running job: build (ubuntu, 20)" },
      ...job("build (ubuntu, 20)", "Succeeded", 0.6),
      {
        out: "[RUNNER 2026-11-25 10:00:00Z INFO Terminal] WRITE LINE: 2026-11-25 10:00:00Z: Job build (ubuntu, 20) completed with result: Succeeded",
      },
      ...job("lint: eslint, tsc / strict", "SucceededWithIssues", 0.1),
      ...job("test 🧪 (3.12)", "Failed", 0.1),
      ...job("deploy completed with result: Failed", "Canceled", 0.1),
      ...job("optional", "Skipped", 0),
      ...job("lost lock", "Abandoned", 0.1),
      { out: "{ts}: Running job: worker crashed" },
      { sleep: 0.1 },
      { out: "{ts}: Listening for Jobs" },
      { sleep: 30 },
    ]);
    const s = start({ command, env });
    const m = await s.waitFor((m) => m.value("github_runner_jobs_total", { status: "unknown" }) === 1);
    expect(Object.fromEntries(STATUSES.map((status) => [status, m.value("github_runner_jobs_total", { status })]))).toEqual({
      success: 2,
      failed: 1,
      cancelled: 1,
      skipped: 1,
      abandoned: 1,
      unknown: 1,
    });
    // The histogram agrees with the counter, and its buckets are cumulative.
    for (const status of STATUSES) {
      expect(m.value("github_runner_job_duration_seconds_count", { status })).toBe(m.value("github_runner_jobs_total", { status }));
      expect(m.value("github_runner_job_duration_seconds_bucket", { status, le: "+Inf" })).toBe(
        m.value("github_runner_jobs_total", { status }),
      );
    }
    const buildSeconds = m.value("github_runner_job_duration_seconds_sum", { status: "success" })!;
    expect(buildSeconds).toBeGreaterThanOrEqual(0.6);
    expect(buildSeconds).toBeLessThan(3);
    expect(m.value("github_runner_job_duration_seconds_bucket", { status: "success", le: "1" })).toBeGreaterThanOrEqual(1);
    expect(m.value("github_runner_info", { version: "2.336.0", runner_name: "test-runner", runner_type: "standard" })).toBe(1);
    expect(m.value("github_runner_status")).toBe(1);
    expect(m.value("github_runner_busy")).toBe(0);
    expect(m.has("github_runner_job_start_time_seconds")).toBe(false);
    expect(m.value("github_runner_last_job_completion_timestamp_seconds", { status: "failed" })).toBeGreaterThan(Date.now() / 1000 - 60);
    expect(m.has("github_runner_queue_time_seconds")).toBe(false);
    expect(m.has("github_runner_cache_hit_rate")).toBe(false);
  });

  it("follows the runner's state: offline, online, busy, connection errors, relaunches, updates, exit", async () => {
    const gate = mkdtempSync(join(tmpdir(), "gate-"));
    const step = (n: number) => ({ waitForFile: join(gate, String(n)) });
    const { command, env } = scripted([
      { out: "√ Connected to GitHub" },
      step(1),
      { out: "Current runner version: '2.335.0'" },
      { out: "{ts}: Listening for Jobs" },
      step(2),
      { out: "{ts}: Running job: long one" },
      step(3),
      { err: "{ts}: Runner connect error: The HTTP request timed out after 00:01:00.. Retrying until reconnected." },
      step(4),
      { out: "{ts}: Runner reconnected." },
      { out: "{ts}: Job long one completed with result: Succeeded" },
      { out: "Runner update in progress, do not shutdown runner." },
      { out: "Downloading 2.336.0 runner" },
      { err: "Runner update failed: disk full" },
      { out: "Runner update process finished." },
      { out: "Runner listener exit because of updating, re-launch runner after successful update" },
      { err: "A session for this runner already exists." },
      { err: "Failed to create session. Conflict" },
      // stdout and stderr are two pipes with no order between them: the runner's own pauses keep them apart.
      { sleep: 0.1 },
      { out: "Runner listener exit with retryable error, re-launch runner in 5 seconds." },
      { out: "Restarting runner..." },
      { out: "Current runner version: '2.336.0'" },
      { out: "{ts}: Listening for Jobs" },
      step(5),
      { exit: 0 },
    ]);
    const s = start({ command, env: { ...env, RUNNER_TYPE: "chrome-go", RUNNER_VERSION: "2.330.0" } });
    const open = (n: number) => writeFileSync(join(gate, String(n)), "");

    let m = await s.waitFor((m) => m.has("github_runner_status"));
    expect(m.value("github_runner_status", { runner_type: "chrome-go" })).toBe(0);
    expect(m.value("github_runner_info", { version: "2.330.0" })).toBe(1);
    expect((await s.get("/health")).status).toBe(200);
    open(1);
    m = await s.waitFor((m) => m.value("github_runner_status") === 1);
    expect(m.value("github_runner_info", { version: "2.335.0" })).toBe(1);
    expect(m.value("github_runner_info", { version: "2.330.0" })).toBeUndefined();
    open(2);
    m = await s.waitFor((m) => m.value("github_runner_busy") === 1);
    expect(m.value("github_runner_job_start_time_seconds")).toBeGreaterThan(Date.now() / 1000 - 60);
    open(3);
    m = await s.waitFor((m) => m.value("github_runner_status") === 0);
    expect(m.value("github_runner_busy")).toBe(1);
    expect(m.value("github_runner_connection_errors_total", { reason: "connect_error" })).toBe(1);
    open(4);
    m = await s.waitFor((m) => m.value("github_runner_info", { version: "2.336.0" }) === 1 && m.value("github_runner_status") === 1);
    expect(m.value("github_runner_jobs_total", { status: "success" })).toBe(1);
    expect(m.value("github_runner_busy")).toBe(0);
    expect(m.value("github_runner_updates_total")).toBe(1);
    expect(m.value("github_runner_update_failures_total")).toBe(1);
    expect(m.value("github_runner_listener_relaunches_total", { reason: "updating" })).toBe(1);
    expect(m.value("github_runner_listener_relaunches_total", { reason: "retryable" })).toBe(1);
    expect(m.value("github_runner_connection_errors_total", { reason: "session_conflict" })).toBe(1);
    expect(m.value("github_runner_connection_errors_total", { reason: "session_failed" })).toBe(1);
    expect(m.value("github_runner_uptime_seconds")).toBeGreaterThan(0);
    open(5);
    expect((await s.exit).code).toBe(0);
  });
});
