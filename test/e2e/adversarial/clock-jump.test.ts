// The wall clock steps forward 2 h between a failed and a successful deploy (issue 21, row 8), as
// NTP, an operator or a resumed VM can do. The supervisor runs under libfaketime, which moves the
// wall clock it reads (Date.now) at the test's word and leaves the monotonic clock alone, as a real
// step does. Recovery time must be the real time between the two deploys, not the step.
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { removeTempDirs, stopAll, tempDir } from "../../helpers/index.js";
import { startProduction } from "./harness.js";

const LIBFAKETIME = "/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1";
const JUMP_SECONDS = 7200;

afterEach(async () => {
  await stopAll();
  removeTempDirs();
});

/** One deploy job through the hooks, as the runner runs it: its console line, both hooks, its result line. */
const job = (result: string) => [
  'echo "2026-11-25 10:00:01Z: Running job: deploy"',
  'bash --noprofile --norc -e "$ACTIONS_RUNNER_HOOK_JOB_STARTED"',
  'bash --noprofile --norc -e "$ACTIONS_RUNNER_HOOK_JOB_COMPLETED"',
  `echo "2026-11-25 10:00:02Z: Job deploy completed with result: ${result}"`,
];

describe("a wall-clock step between deploys", () => {
  it("row 8: a 2 h step forward between a failed and a successful deploy is not recovery time", async () => {
    const dir = tempDir();
    const offset = join(dir, "offset");
    const go = join(dir, "go");
    writeFileSync(offset, "+0\n");
    const runner = [
      "export GITHUB_RUN_ID=1 GITHUB_RUN_ATTEMPT=1 GITHUB_REPOSITORY=acme/shop GITHUB_WORKFLOW=Deploy GITHUB_JOB=deploy GITHUB_EVENT_NAME=push GITHUB_EVENT_PATH=/nonexistent",
      'echo "2026-11-25 10:00:00Z: Listening for Jobs"',
      ...job("Failed"),
      // Waits for the test to step the clock, then the fix is deployed.
      `while [ ! -e "${go}" ]; do sleep 0.05; done`,
      ...job("Succeeded"),
      "sleep 30",
    ].join("\n");
    const s = startProduction({
      command: ["/bin/sh", "-c", runner],
      env: {
        DEPLOY_PATTERN: "deploy",
        LD_PRELOAD: LIBFAKETIME,
        FAKETIME_TIMESTAMP_FILE: offset,
        FAKETIME_NO_CACHE: "1",
        FAKETIME_DONT_FAKE_MONOTONIC: "1",
      },
    });
    const failed = await s.waitFor((m) => m.value("github_runner_deployments_total", { result: "failed" }) === 1, 20_000);
    const failedAt = failed.value("github_runner_last_job_completion_timestamp_seconds", { status: "failed" })!;
    const steppedAt = performance.now();
    writeFileSync(offset, `+${JUMP_SECONDS}s\n`);
    writeFileSync(go, "");
    const m = await s.waitFor((x) => x.value("github_runner_deploy_recovery_time_seconds_count") === 1, 20_000);
    const realSeconds = (performance.now() - steppedAt) / 1000;
    // The step was real for the supervisor: the success's wall-clock stamp is 2 h past the failure's.
    expect(m.value("github_runner_last_job_completion_timestamp_seconds", { status: "success" })! - failedAt).toBeGreaterThan(JUMP_SECONDS);
    const recovery = m.value("github_runner_deploy_recovery_time_seconds_sum")!;
    console.log(
      `recovery time with a ${JUMP_SECONDS} s wall-clock step: ${recovery.toFixed(2)} s (the test saw ${realSeconds.toFixed(2)} s pass)`,
    );
    // At most the real time between the failure's scrape and now, plus the scrape's own lag; nowhere near the step.
    expect(recovery).toBeGreaterThan(0);
    expect(recovery).toBeLessThan(realSeconds + 10);
  }, 60_000);
});
