// Hooks and `report` across self-updates of a kept runner directory, with the shared stand-in
// layout (test/fixtures/actions-runner): the runner directory as an earlier update left it (bin
// and externals symlinks to bin.2.336.0 and externals.2.336.0), the supervisor started on that
// runner's own Node, then two more updates by the stand-in's update.sh, the second of which
// deletes externals.2.336.0, the directory process.execPath resolves into. Then a job: its hooks
// and its `"$RUNNER_SUPERVISOR" report cache` step must still reach the supervisor.
import { spawnSync } from "node:child_process";
import { copyFileSync, cpSync, existsSync, linkSync, mkdirSync, readlinkSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { launcherScript, hookScript } from "../../../src/channel/hook-files.js";
import { layoutEnv, removeTempDirs, RUNNER_LAYOUT, startSupervisor, tempDir, until, type Running } from "../../helpers/index.js";

let running: Running | undefined;
afterEach(async () => {
  if (running && running.proc.exitCode === null && running.proc.signalCode === null) running.proc.kill("SIGKILL");
  await running?.exit;
  running = undefined;
  removeTempDirs();
});

/** A runner directory as after one self-update, with a real Node in externals.2.336.0/node24. */
function keptRunnerDirectory(): string {
  const home = join(tempDir("rs-update-"), "actions-runner");
  cpSync(RUNNER_LAYOUT, home, { recursive: true });
  rmSync(join(home, "bin"), { recursive: true });
  cpSync(join(RUNNER_LAYOUT, "bin"), join(home, "bin.2.336.0"), { recursive: true });
  const nodeDir = join(home, "externals.2.336.0", "node24", "bin");
  mkdirSync(nodeDir, { recursive: true });
  try {
    linkSync(process.execPath, join(nodeDir, "node"));
  } catch {
    copyFileSync(process.execPath, join(nodeDir, "node"));
  }
  symlinkSync(join(home, "bin.2.336.0"), join(home, "bin"));
  symlinkSync(join(home, "externals.2.336.0"), join(home, "externals"));
  return home;
}

const control = (env: Record<string, string>, home: string, ...args: string[]) => {
  const r = spawnSync(join(home, "fake", "control"), args, { env: { ...process.env, ...env }, encoding: "utf8" });
  expect(r.status, r.stderr).toBe(0);
};
const count = (text: string, what: string) => text.split(what).length - 1;

describe("hooks and report across self-updates of a kept runner directory", () => {
  it("still reach the supervisor after two more updates deleted the Node it started from", async () => {
    const home = keptRunnerDirectory();
    const env = layoutEnv(join(tempDir(), "listener"));
    const r = (running = startSupervisor({ runnerHome: home, node: join(home, "externals", "node24", "bin", "node"), env }));
    const out = () => r.stdout().toString("utf8");
    await until(() => out().includes("Listening for Jobs"), 20_000, "the first session");

    control(env, home, "update", "2.337.0");
    await until(
      () => out().includes("Current runner version: '2.337.0'") && count(out(), "Listening for Jobs") === 2,
      30_000,
      "the first update",
    );
    expect(readlinkSync(join(home, "externals"))).toBe(join(home, "externals.2.337.0"));
    expect(existsSync(join(home, "externals.2.336.0"))).toBe(true);

    control(env, home, "update", "2.338.0");
    await until(
      () => out().includes("Current runner version: '2.338.0'") && count(out(), "Listening for Jobs") === 3,
      30_000,
      "the second update",
    );
    // The version the supervisor's Node resolved into is gone; its own process runs on.
    expect(existsSync(join(home, "externals.2.336.0"))).toBe(false);
    expect(existsSync(join(home, "bin.2.336.0"))).toBe(false);
    expect(readlinkSync(`/proc/${r.proc.pid}/exe`)).toMatch(/externals\.2\.336\.0\/node24\/bin\/node \(deleted\)$/);

    control(env, home, "jobs", "1");
    const m = await r.waitFor(
      (s) =>
        s.value("github_runner_jobs_total", { status: "success" }) === 1 &&
        s.value("github_runner_cache_requests_total", { cache_type: "npm", result: "hit" }) === 1,
      30_000,
    );
    expect(m.value("github_runner_context_messages_total", { kind: "job_started" })).toBe(1);
    expect(m.value("github_runner_context_messages_total", { kind: "job_completed" })).toBe(1);
    expect(r.stderr()).not.toMatch(/cannot run|did not take|not found/);
    expect(out()).toContain("Update finished successfully.");
  }, 120_000);
});

describe("a job-side command that cannot reach the supervisor", () => {
  const run = (script: string, env: Record<string, string> = {}) => {
    const dir = tempDir();
    const path = join(dir, "script");
    writeFileSync(path, script, { mode: 0o755 });
    return spawnSync("bash", ["--noprofile", "--norc", "-e", "-o", "pipefail", path, "report", "cache", "--type", "npm", "--hit"], {
      env: {
        PATH: process.env.PATH,
        GITHUB_RUN_ID: "1",
        GITHUB_JOB: "build",
        GITHUB_REPOSITORY: "o/r",
        GITHUB_WORKFLOW: "CI",
        GITHUB_EVENT_NAME: "push",
        ...env,
      },
      encoding: "utf8",
    });
  };
  const entry = join(RUNNER_LAYOUT, "..", "..", "..", "bin", "runner-supervisor.js");
  const oneLine = (text: string) => expect(text.trim().split("\n"), text).toHaveLength(1);

  it("exits 0 with one line when its Node is gone (report through the launcher, and each hook)", () => {
    const gone = "/nonexistent/externals.2.336.0/node24/bin/node";
    const report = run(launcherScript({ node: gone, entry }));
    expect(report.status).toBe(0);
    oneLine(report.stderr);
    expect(report.stderr).toMatch(/^runner-supervisor: cannot run .*nothing sent/);
    for (const hook of ["job-started", "job-completed"] as const) {
      const h = run(hookScript(hook, { node: gone, entry, userHooks: {} }, "/nonexistent/socket"));
      expect(h.status).toBe(0);
      oneLine(h.stderr);
      expect(h.stderr).toContain(`${hook} hook: cannot run`);
    }
  });

  it("exits 0 with one line when the supervisor has stopped or its socket is gone", () => {
    const socket = join(tempDir(), "gone.sock");
    const report = run(launcherScript({ node: process.execPath, entry }), { RUNNER_SUPERVISOR_SOCKET: socket });
    expect(report.status).toBe(0);
    oneLine(report.stderr);
    for (const hook of ["job-started", "job-completed"] as const) {
      const h = run(hookScript(hook, { node: process.execPath, entry, userHooks: {} }, socket));
      expect(h.status).toBe(0);
      oneLine(h.stderr);
      expect(h.stderr).toContain("did not take");
    }
  });
});
