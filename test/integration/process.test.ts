import { spawn, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { chmodSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { BIN, FIXTURES, startSupervisor, type Running } from "../helpers/supervisor.js";
import { scripted } from "./helpers.js";

const running: Running[] = [];
const servers: Server[] = [];
afterEach(() => {
  for (const s of running.splice(0)) s.proc.kill("SIGKILL");
  for (const s of servers.splice(0)) s.close();
});
function start(...args: Parameters<typeof startSupervisor>): Running {
  const s = startSupervisor(...args);
  running.push(s);
  return s;
}

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
    const through = await collect(process.execPath, [BIN, "--runner-home", FIXTURES, "--no-metrics", "--", process.execPath, join(FIXTURES, "noise.mjs")], env);
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
    const file = join(mkdtempSync(join(tmpdir(), "big-")), "big.mjs");
    writeFileSync(file, script);
    const s = start({ command: [process.execPath, file] });
    let bytes = 0;
    s.proc.stdout!.on("data", (c: Buffer) => (bytes += c.length));
    const m = await s.waitFor((m) => m.value("github_runner_jobs_total", { status: "success" }) === 1, 20_000);
    expect(m.value("github_runner_jobs_total", { status: "success" })).toBe(1);
    // Peak memory of the supervisor stays far below the line's size.
    const hwm = Number(/VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${s.proc.pid}/status`, "utf8"))![1]) / 1024;
    expect(hwm).toBeLessThan(150);
    expect((await s.exit).code).toBe(0);
    const expected = 100 * (1 << 20) + 1 + 2 * "2026-11-25 10:00:00Z: ".length + "Running job: after\n".length + "Job after completed with result: Succeeded\n".length;
    expect(bytes).toBe(expected);
  }, 60_000);
});

describe("a reader that goes away", () => {
  it("stdout closed early: the runner is not signalled, its output is still parsed, its exit code is returned", async () => {
    // A shell child: unlike Node, it dies of a SIGPIPE, so a wrongly forwarded one would show.
    const dir = mkdtempSync(join(tmpdir(), "home-"));
    writeFileSync(
      join(dir, "run.sh"),
      [
        "#!/bin/bash",
        "head -c 200000 /dev/zero | tr '\\0' x",
        "sleep 0.3",
        "echo",
        'echo "2026-11-25 10:00:00Z: Running job: after the reader left"',
        'echo "2026-11-25 10:00:01Z: Job after the reader left completed with result: Succeeded"',
        "sleep 0.3",
        "exit 5",
      ].join("\n"),
    );
    chmodSync(join(dir, "run.sh"), 0o755);
    const s = start({ runnerHome: dir });
    s.proc.stdout!.once("data", () => s.proc.stdout!.destroy());
    const m = await s.waitFor((m) => m.value("github_runner_jobs_total", { status: "success" }) === 1);
    expect(m.value("github_runner_jobs_total", { status: "success" })).toBe(1);
    expect((await s.exit).code).toBe(5);
    expect(s.stderr()).toContain("runner-supervisor: cannot write the runner's output (write EPIPE)");
  });
});

describe("after the child exits", () => {
  it("a grandchild that keeps writing does not keep the supervisor alive (at most about 1 s)", async () => {
    const t0 = performance.now();
    const s = start({ args: ["--no-metrics"], command: ["/bin/sh", "-c", "(i=0; while [ $i -lt 1000 ]; do echo bg$i; i=$((i+1)); sleep 0.01; done) & exit 3"] });
    expect((await s.exit).code).toBe(3);
    expect(performance.now() - t0).toBeLessThan(2500);
    expect(s.stdout().toString()).toMatch(/^bg0\n/);
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
    const dir = mkdtempSync(join(tmpdir(), "home-"));
    writeFileSync(join(dir, "not-exec.sh"), "#!/bin/sh\necho hi\n");
    chmodSync(join(dir, "not-exec.sh"), 0o644);
    const missing = start({ runnerHome: dir, args: ["--no-metrics"] });
    expect((await missing.exit).code).toBe(127);
    expect(missing.stderr()).toMatch(/^runner-supervisor: cannot run "\.\/run\.sh" in .*: not found\n$/);
    const notExec = start({ runnerHome: dir, args: ["--no-metrics"], command: ["./not-exec.sh"] });
    expect((await notExec.exit).code).toBe(126);
    expect(notExec.stderr()).toContain("permission denied");
  });
});

describe("the child", () => {
  it("runs ./run.sh in the runner directory with RUNNER_MANUALLY_TRAP_SIG=1 added", async () => {
    const dir = mkdtempSync(join(tmpdir(), "home-"));
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
    const dir = mkdtempSync(join(tmpdir(), "home-"));
    writeFileSync(join(dir, "run.sh"), `#!/bin/bash\ntrap 'echo got-${signal}; exit 7' ${signal.slice(3)}\necho ready\nwhile :; do sleep 0.05; done\n`);
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

describe("bad configuration stops start-up before anything is spawned", () => {
  const marker = join(mkdtempSync(join(tmpdir(), "marker-")), "spawned");
  const cases: [string, Record<string, string>, string[], RegExp][] = [
    ["METRICS_PORT=abc", { METRICS_PORT: "abc" }, [], /^runner-supervisor: invalid METRICS_PORT="abc": expected an integer from 0 to 65535/],
    ["METRICS_PORT=70000", { METRICS_PORT: "70000" }, [], /^runner-supervisor: invalid METRICS_PORT="70000": expected an integer/],
    ["RUNNER_TYPE with spaces", { RUNNER_TYPE: "my runner" }, [], /^runner-supervisor: invalid RUNNER_TYPE="my runner": expected a short lowercase name/],
    ["RUNNER_TYPE uppercase", { RUNNER_TYPE: "Chrome" }, [], /^runner-supervisor: invalid RUNNER_TYPE="Chrome"/],
    ["missing RUNNER_HOME", { RUNNER_HOME: "/nonexistent/actions-runner" }, [], /^runner-supervisor: invalid RUNNER_HOME="\/nonexistent\/actions-runner": expected the path of an existing directory/],
    ["METRICS_ENABLED=maybe", { METRICS_ENABLED: "maybe" }, [], /^runner-supervisor: invalid METRICS_ENABLED="maybe": expected true or false/],
    ["JOB_DURATION_BUCKETS not increasing", { JOB_DURATION_BUCKETS: "10,5" }, [], /^runner-supervisor: invalid JOB_DURATION_BUCKETS="10,5"/],
    ["a bad flag value", {}, ["--metrics-port", "-1"], /^runner-supervisor: invalid --metrics-port="-1"/],
    ["an unknown flag", {}, ["--frobnicate"], /^runner-supervisor: unknown option '--frobnicate'/],
  ];
  it.each(cases)("%s", async (_name, env, args, message) => {
    const s = start({ env: { RUNNER_HOME: FIXTURES, ...env }, args, command: ["/bin/sh", "-c", `touch ${marker}`] });
    expect((await s.exit).code).toBe(78);
    expect(s.stderr()).toMatch(message);
    expect(s.stderr().trimEnd().split("\n")).toHaveLength(1);
    expect(s.stdout().length).toBe(0);
    expect(existsSync(marker)).toBe(false);
  });

  it("--help lists every option with its variable and default; --version prints the version", () => {
    const help = spawnSync(process.execPath, [BIN, "--help"], { encoding: "utf8" });
    expect(help.status).toBe(0);
    const text = help.stdout.replace(/\s+/g, " ");
    for (const v of ["env: RUNNER_HOME, default: /actions-runner", "env: RUNNER_NAME, default: the host name", "env: RUNNER_TYPE, default: standard", "env: METRICS_PORT, default: 9091", "env: METRICS_HOST", "env: METRICS_ENABLED"]) {
      expect(text).toContain(v);
    }
    const version = spawnSync(process.execPath, [BIN, "--version"], { encoding: "utf8" });
    expect(version.status).toBe(0);
    expect(version.stdout.trim()).toBe(JSON.parse(readFileSync(join(FIXTURES, "..", "..", "package.json"), "utf8")).version);
  });
});

describe("the metrics port", () => {
  it("taken: the runner still runs, the supervisor says why, the exit code is the runner's", async () => {
    const blocker = createServer();
    servers.push(blocker);
    await new Promise<void>((r) => blocker.listen(0, "127.0.0.1", r));
    const port = (blocker.address() as { port: number }).port;
    const { command, env } = scripted([{ out: "runner output" }, { sleep: 0.3 }, { exit: 4 }]);
    const s = start({ command, env: { ...env, METRICS_PORT: String(port) } });
    expect((await s.exit).code).toBe(4);
    expect(s.stdout().toString()).toBe("runner output\n");
    expect(s.stderr()).toMatch(new RegExp(`^runner-supervisor: metrics endpoint disabled: cannot listen on 127\\.0\\.0\\.1 port ${port}: EADDRINUSE`));
  });

  it("--no-metrics serves nothing and runs the child", async () => {
    const { command, env } = scripted([{ out: "ok" }]);
    const s = start({ command, env, args: ["--no-metrics"] });
    expect((await s.exit).code).toBe(0);
    expect(s.stderr()).toBe("");
  });
});
