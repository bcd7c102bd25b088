import { spawnSync } from "node:child_process";
import { chownSync, existsSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { createHookDir, hookScript } from "../../../src/channel/hook-files.js";
import { BIN, removeTempDirs, tempDir } from "../../helpers/index.js";

afterEach(() => removeTempDirs());
/** Runs a hook script exactly as the runner does. */
function runAsRunner(script: string) {
  return spawnSync("bash", ["--noprofile", "--norc", "-e", "-o", "pipefail", script], { encoding: "utf8", timeout: 10_000 });
}

describe("hook scripts", () => {
  it("overrun their budget without a word from bash in the job's log (no 'Killed  timeout -s KILL ...')", () => {
    const dir = tempDir("hook-");
    // A "node" that hangs past the 0.9 s budget, as a starved one does on a busy machine.
    const slow = join(dir, "node");
    writeFileSync(slow, "#!/bin/sh\nexec sleep 5\n", { mode: 0o755 });
    const script = join(dir, "ours.sh");
    writeFileSync(script, hookScript("job-started", { node: slow, entry: BIN, userHooks: {} }, join(dir, "no.sock")));
    const started = Date.now();
    const r = runAsRunner(script);
    expect(r.status).toBe(0);
    expect(Date.now() - started).toBeLessThan(4000);
    expect(r.stderr).toBe("");
    expect(r.stdout).toBe("");
  });

  it("run the user's own hook as the runner would: with pipefail, so its failure still fails the job", () => {
    const dir = tempDir("hook-");
    const user = join(dir, "user.sh");
    writeFileSync(user, "false | cat\necho reached\n");
    const script = join(dir, "ours.sh");
    writeFileSync(
      script,
      hookScript("job-started", { node: process.execPath, entry: BIN, userHooks: { "job-started": user } }, join(dir, "no.sock")),
    );
    const run = runAsRunner(script);
    expect(run.status).toBe(1);
    expect(run.stdout).not.toContain("reached");
  });

  it("are written again when a job deleted them", () => {
    const hookDir = createHookDir({
      node: process.execPath,
      entry: BIN,
      userHooks: {},
      runnerHome: tempDir("home-"),
      baseDir: tempDir("base-"),
    });
    const files = hookDir.write(join(hookDir.socketDir, "channel.sock"));
    const started = files.env.ACTIONS_RUNNER_HOOK_JOB_STARTED!;
    rmSync(hookDir.dir, { recursive: true, force: true });
    files.restore();
    expect(existsSync(started)).toBe(true);
    expect(runAsRunner(started).status).toBe(0);
  });

  it.runIf(process.getuid?.() === 0)(
    "as root for a runner of another user: scripts stay root's, only the socket's directory is the runner's",
    () => {
      const home = tempDir("home-");
      chownSync(home, 4242, 4242);
      const hookDir = createHookDir({ node: process.execPath, entry: BIN, userHooks: {}, runnerHome: home, baseDir: tempDir("base-") });
      const files = hookDir.write(join(hookDir.socketDir, "channel.sock"));
      const dir = statSync(hookDir.dir);
      expect([dir.uid, dir.mode & 0o777]).toEqual([0, 0o755]);
      const socketDir = statSync(hookDir.socketDir);
      expect([socketDir.uid, socketDir.mode & 0o777]).toEqual([4242, 0o700]);
      const script = statSync(files.env.ACTIONS_RUNNER_HOOK_JOB_STARTED!);
      expect([script.uid, script.mode & 0o777]).toEqual([0, 0o755]);
    },
  );
});
