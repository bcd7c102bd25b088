import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { chmodSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { BIN, FIXTURES, removeTempDirs, scripted, startSupervisor, stopAll, tempDir, until, type Running } from "../../helpers/index.js";

afterEach(async () => {
  await stopAll();
  removeTempDirs();
});
const start = (...args: Parameters<typeof startSupervisor>): Running => startSupervisor(...args);

const sha256 = (b: Buffer) => createHash("sha256").update(b).digest("hex");

/** Runs a command to completion, collecting both streams as bytes. */
function collect(cmd: string, args: string[], env: NodeJS.ProcessEnv = process.env) {
  return new Promise<{ stdout: Buffer; stderr: Buffer; code: number | null }>((resolve) => {
    const p = spawn(cmd, args, { env, stdio: ["ignore", "pipe", "pipe"] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    p.stdout.on("data", (c: Buffer) => out.push(c));
    p.stderr.on("data", (c: Buffer) => err.push(c));
    p.once("close", (code) => resolve({ stdout: Buffer.concat(out), stderr: Buffer.concat(err), code }));
  });
}

describe("the child's output passes through byte for byte", () => {
  it("12 MB of mixed output on both streams, invalid UTF-8 and last lines without newline", async () => {
    const env = { ...process.env, NOISE_MB: "12" };
    const direct = await collect(process.execPath, [join(FIXTURES, "noise.mjs")], env);
    expect(direct.stdout.length).toBeGreaterThan(12 * 1024 * 1024);
    const through = await collect(
      process.execPath,
      [BIN, "--runner-home", FIXTURES, "--no-metrics", "--", process.execPath, join(FIXTURES, "noise.mjs")],
      env,
    );
    expect(through.code).toBe(0);
    expect(through.stdout.length).toBe(direct.stdout.length);
    expect(sha256(through.stdout)).toBe(sha256(direct.stdout));
    // The supervisor adds nothing to stdout; on stderr, only whole lines of its own after the child's bytes.
    const ownLines = through.stderr.subarray(direct.stderr.length).toString();
    expect(sha256(through.stderr.subarray(0, direct.stderr.length))).toBe(sha256(direct.stderr));
    expect(ownLines).toBe("");
  });

  it("a 100 MB line without a newline is forwarded whole, and parsing resumes after it", async () => {
    const script = [
      "const big = Buffer.alloc(1 << 20, 0x78);",
      "const ts = '2026-11-25 10:00:00Z: ';",
      "for (let i = 0; i < 100; i++) if (!process.stdout.write(big)) await new Promise(r => process.stdout.once('drain', r));",
      "process.stdout.write('\\n' + ts + 'Running job: after\\n' + ts + 'Job after completed with result: Succeeded\\n');",
      "await new Promise(r => setTimeout(r, 1500));",
    ].join("\n");
    const file = join(tempDir("big-"), "big.mjs");
    writeFileSync(file, script);
    const s = start({ command: [process.execPath, file] });
    let bytes = 0;
    s.proc.stdout!.on("data", (c: Buffer) => (bytes += c.length));
    // 100 MB through two pipes: seconds on a quiet machine, far more on a busy one.
    const m = await s.waitFor((m) => m.value("github_runner_jobs_total", { status: "success" }) === 1, 90_000);
    expect(m.value("github_runner_jobs_total", { status: "success" })).toBe(1);
    // Peak memory of the supervisor stays far below the line's size.
    const hwm = Number(/VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${s.proc.pid}/status`, "utf8"))![1]) / 1024;
    expect(hwm).toBeLessThan(150);
    expect((await s.exit).code).toBe(0);
    const expected =
      100 * (1 << 20) +
      1 +
      2 * "2026-11-25 10:00:00Z: ".length +
      "Running job: after\n".length +
      "Job after completed with result: Succeeded\n".length;
    expect(bytes).toBe(expected);
  }, 150_000);
});

describe("the supervisor's log lines never split one of the runner's", () => {
  // A job in flight and DRAIN_ENABLED: a SIGTERM makes the supervisor log that it holds it.
  const runner = (rest: string) => ["bash", "-c", `echo "2026-11-25 10:00:01Z: Running job: build"; ${rest}`];

  it("waits for the runner's stderr line to end before writing its own", async () => {
    const r = start({
      env: { DRAIN_ENABLED: "true" },
      command: runner(
        `printf 'half a line' >&2; sleep 0.6; printf ' and its end\\n' >&2; sleep 0.3; echo "2026-11-25 10:00:02Z: Job build completed with result: Succeeded"; sleep 5`,
      ),
    });
    await until(() => r.stderr().includes("half a line"), 10_000, "the runner's half line");
    r.proc.kill("SIGTERM");
    const exit = await r.exit;
    expect(exit.code).toBe(143);
    const err = r.stderr();
    expect(err).toContain("half a line and its end\n");
    expect(err.indexOf("draining: SIGTERM held")).toBeGreaterThan(err.indexOf("and its end"));
  });

  it("writes it anyway within a second when the runner never ends its line", async () => {
    const r = start({ env: { DRAIN_ENABLED: "true" }, command: runner(`printf 'progress 50%%\\r' >&2; sleep 20`) });
    await until(() => r.stderr().includes("progress 50%"), 10_000, "the runner's open line");
    r.proc.kill("SIGTERM");
    await until(() => r.stderr().includes("draining: SIGTERM held"), 15_000, "the held log line");
    expect(r.stderr()).toMatch(/progress 50%\rrunner-supervisor: draining: SIGTERM held/);
  });
});

describe("exit codes", () => {
  it.each([0, 1, 3, 255])("passes exit code %i through", async (code) => {
    const { command, env } = scripted([{ out: "hi" }, { exit: code }]);
    const s = start({ command, env });
    expect((await s.exit).code).toBe(code);
    expect(s.stdout().toString()).toBe("hi\n");
  });

  it("gives 137 when the child dies by SIGKILL", async () => {
    const { command, env } = scripted([{ kill: "SIGKILL" }]);
    const s = start({ command, env });
    expect((await s.exit).code).toBe(137);
  });

  it("gives 127 for a missing command and 126 for one that is not executable, with a message", async () => {
    const dir = tempDir("home-");
    writeFileSync(join(dir, "not-exec.sh"), "#!/bin/sh\necho hi\n");
    chmodSync(join(dir, "not-exec.sh"), 0o644);
    const missing = start({ runnerHome: dir, args: ["--no-metrics"] });
    expect((await missing.exit).code).toBe(127);
    expect(missing.stderr()).toMatch(/^runner-supervisor: cannot run "\.\/run\.sh" in .*: not found\n$/);
    const notExec = start({ runnerHome: dir, args: ["--no-metrics"], command: ["./not-exec.sh"] });
    expect((await notExec.exit).code).toBe(126);
    expect(notExec.stderr()).toContain("permission denied");
    // With the endpoint on: the one line, and nothing served or announced before it.
    const served = start({ runnerHome: dir });
    expect((await served.exit).code).toBe(127);
    expect(served.stderr()).toMatch(/^runner-supervisor: cannot run "\.\/run\.sh" in .*: not found\n$/);
  });
});

describe("the child", () => {
  it("runs ./run.sh in the runner directory with RUNNER_MANUALLY_TRAP_SIG=1 added", async () => {
    const dir = tempDir("home-");
    writeFileSync(join(dir, "run.sh"), '#!/bin/sh\necho "cwd=$(pwd) trap=${RUNNER_MANUALLY_TRAP_SIG-unset} keep=$KEEP_ME"\n');
    chmodSync(join(dir, "run.sh"), 0o755);
    const s = start({ runnerHome: dir, env: { RUNNER_MANUALLY_TRAP_SIG: undefined, KEEP_ME: "yes" } });
    expect((await s.exit).code).toBe(0);
    expect(s.stdout().toString()).toBe(`cwd=${dir} trap=1 keep=yes\n`);
    const own = start({ runnerHome: dir, env: { RUNNER_MANUALLY_TRAP_SIG: "" } });
    await own.exit;
    expect(own.stdout().toString()).toContain("trap= ");
  });

  it.each(["SIGTERM", "SIGINT"] as const)("%s reaches the child, whose exit code is returned", async (signal) => {
    const dir = tempDir("home-");
    writeFileSync(
      join(dir, "run.sh"),
      `#!/bin/bash\ntrap 'echo got-${signal}; exit 7' ${signal.slice(3)}\necho ready\nwhile :; do sleep 0.05; done\n`,
    );
    chmodSync(join(dir, "run.sh"), 0o755);
    const s = start({ runnerHome: dir });
    await s.port;
    for (let i = 0; i < 100 && !s.stdout().toString().includes("ready"); i++) await new Promise((r) => setTimeout(r, 20));
    const health = await s.get("/health");
    expect(health.status).toBe(200);
    s.proc.kill(signal);
    expect((await s.exit).code).toBe(7);
    expect(s.stdout().toString()).toBe(`ready\ngot-${signal}\n`);
  });
});

describe("the metrics endpoint turned off", () => {
  it("--no-metrics serves nothing and runs the child", async () => {
    const { command, env } = scripted([{ out: "ok" }]);
    const s = start({ command, env, args: ["--no-metrics"] });
    expect((await s.exit).code).toBe(0);
    expect(s.stderr()).toBe("");
  });
});
