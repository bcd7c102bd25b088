// The shared stand-in runner layout (test/fixtures/actions-runner) against the facts measured with
// the real scripts of actions/runner 2.336.0 (src/Misc/layoutroot/run.sh, run-helper.sh.template),
// alone and under the supervisor: what every other suite relies on when it stands in for the runner.
import { spawn, spawnSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import {
  layoutEnv,
  removeTempDirs,
  RUNNER_LAYOUT,
  scriptedListener,
  startSupervisor,
  stopAll,
  tempDir,
  until,
  type Step,
} from "../../helpers/index.js";

afterEach(async () => {
  await stopAll();
  removeTempDirs();
});

/** run.sh with RUNNER_MANUALLY_TRAP_SIG (as the supervisor runs it) around a scripted listener. */
function runSh(steps: Step[], extra: Record<string, string> = {}) {
  const { command, env } = scriptedListener(steps, tempDir());
  return spawnSync(command[0]!, [], {
    env: { ...process.env, ...env, RUNNER_MANUALLY_TRAP_SIG: "1", ...extra },
    encoding: "utf8",
    timeout: 30_000,
  });
}

describe("the stand-in run.sh and run-helper.sh", () => {
  it.each([
    [0, "Runner listener exit with 0 return code, stop the service, no retry needed.", 0],
    [1, "Runner listener exit with terminated error, stop the service, no retry needed.", 0],
    [5, "Runner listener exit with Session Conflict error, stop the service, no retry needed.", 0],
    [7, "Exiting with unknown error code: 7", 0],
    [42, "Exiting with unknown error code: 42", 0],
    [137, "Exiting with unknown error code: 137", 0],
  ])("listener exit %i: '%s', run.sh exits %i", (listener, line, code) => {
    const r = runSh([{ out: "{ts}: Listening for Jobs" }, { exit: listener }]);
    expect(r.stdout).toContain(`${line}\nExiting runner...\n`);
    expect(r.status).toBe(code);
  });

  it("passes exit 7 through with ACTIONS_RUNNER_RETURN_VERSION_DEPRECATED_EXIT_CODE=1", () => {
    const r = runSh([{ exit: 7 }], { ACTIONS_RUNNER_RETURN_VERSION_DEPRECATED_EXIT_CODE: "1" });
    expect(r.stdout).toContain("Runner listener exit with deprecated version exit code: 7.\nExiting runner...\n");
    expect(r.status).toBe(7);
  });

  it("relaunches the listener after exit 2, after the retry pause", () => {
    const dir = tempDir();
    // A listener that exits 2 the first time and 0 the second.
    writeFileSync(
      join(dir, "listener.sh"),
      `#!/bin/sh\nif [ -e ${dir}/relaunched ]; then echo second; exit 0; fi\ntouch ${dir}/relaunched; echo first; exit 2\n`,
      { mode: 0o755 },
    );
    const r = runSh([], { RUNNER_STANDIN_LISTENER: join(dir, "listener.sh") });
    expect(r.stdout).toBe(
      "first\nRunner listener exit with retryable error, re-launch runner in 5 seconds.\nRestarting runner...\nsecond\nRunner listener exit with 0 return code, stop the service, no retry needed.\nExiting runner...\n",
    );
    expect(r.status).toBe(0);
  });

  it("refuses root without RUNNER_ALLOW_RUNASROOT, in the real script's words", () => {
    if (process.getuid?.() !== 0) return;
    const r = runSh([{ out: "never" }], { RUNNER_ALLOW_RUNASROOT: "" });
    expect(r.stdout).toBe("Must not run interactively with sudo\nExiting runner...\n");
    expect(r.status).toBe(1);
  });

  it.each([
    ["SIGTERM", 143],
    ["SIGINT", 130],
  ] as const)("%s mid-job: 'Exiting runner...' first, the listener cancels the job, run.sh exits %i", async (signal, code) => {
    const env = { ...process.env, ...layoutEnv(tempDir()), RUNNER_MANUALLY_TRAP_SIG: "1", FAKE_JOBS: "1", FAKE_STEP_SECONDS: "30" };
    const child = spawn(`${RUNNER_LAYOUT}/run.sh`, [], { env, stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    child.stdout.on("data", (c: Buffer) => (out += c.toString("utf8")));
    const exited = new Promise<number | null>((resolve) => child.on("exit", (c) => resolve(c)));
    await until(() => out.includes("step ran as"), 20_000, "the job's step");
    child.kill(signal);
    expect(await exited).toBe(code);
    const tail = out.slice(out.indexOf("step ran as"));
    expect(tail).toMatch(
      /Exiting runner\.\.\.\n[^]*completed with result: Canceled\nExiting\.\.\.\nRunner listener exit with 0 return code, stop the service, no retry needed\.\n$/,
    );
  });
});

describe("docker stop with the faithful run.sh (docs/DOCKER_IMAGE.md, 'Stopping')", () => {
  it.each([
    ["SIGTERM", {}, 143],
    ["SIGINT", {}, 130],
    ["SIGTERM", { EXIT_CODES_TO_ZERO: "143,130" }, 0],
  ] as const)("%s to the supervisor (%j) ends it with %i after the runner's clean stop", async (signal, extra, code) => {
    const r = startSupervisor({
      runnerHome: RUNNER_LAYOUT,
      env: { ...layoutEnv(tempDir()), FAKE_JOBS: "1", FAKE_STEP_SECONDS: "30", ...extra },
    });
    await until(() => r.stdout().toString().includes("step ran as"), 20_000, "the job's step");
    r.proc.kill(signal);
    const exit = await r.exit;
    expect(exit.code).toBe(code);
    expect(r.stdout().toString()).toContain("Exiting runner...");
    expect(r.stdout().toString()).toMatch(/completed with result: Canceled/);
  });
});
