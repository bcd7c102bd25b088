// Faults around the runner: it dies mid-job, its reader goes away, its port is taken, a
// grandchild holds its pipe. The supervisor reports what happened and returns the runner's code.
import { chmodSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";
import { afterEach, describe, expect, it, onTestFinished } from "vitest";
import { removeTempDirs, scripted, startSupervisor, stopAll, tempDir, until, type Running } from "../../helpers/index.js";
import { sleep, startProduction } from "./harness.js";

afterEach(async () => {
  await stopAll();
  removeTempDirs();
});
const start = (...args: Parameters<typeof startSupervisor>): Running => startSupervisor(...args);

describe("the runner dies", () => {
  it("SIGKILLed mid-job: the job is closed as unknown, the runner shown offline and idle, exit 137", async () => {
    const { command, env } = scripted([
      { out: "{ts}: Listening for Jobs" },
      { out: "{ts}: Running job: build" },
      { sleep: 0.5 },
      { kill: "SIGKILL" },
    ]);
    const s = startProduction({ command, env: { ...env, METRICS_LINGER: "30" } });
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

describe("a reader that goes away", () => {
  it("stdout closed early: the runner is not signalled, its output is still parsed, its exit code is returned", async () => {
    // A shell child: unlike Node, it dies of a SIGPIPE, so a wrongly forwarded one would show.
    const dir = tempDir("home-");
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
    // Serving on after the runner exits lets the scrape below not race its exit.
    const s = start({ runnerHome: dir, env: { METRICS_LINGER: "10" } });
    s.proc.stdout!.once("data", () => s.proc.stdout!.destroy());
    const m = await s.waitFor((m) => m.value("github_runner_jobs_total", { status: "success" }) === 1);
    expect(m.value("github_runner_jobs_total", { status: "success" })).toBe(1);
    await until(() => s.stderr().includes("the runner exited"));
    s.proc.kill("SIGTERM");
    expect((await s.exit).code).toBe(5);
    expect(s.stderr()).toContain("runner-supervisor: cannot write the runner's output (write EPIPE)");
  });
});

describe("after the child exits", () => {
  it("a grandchild that keeps writing does not keep the supervisor alive (at most about 1 s)", async () => {
    const t0 = performance.now();
    const s = start({
      args: ["--no-metrics"],
      command: ["/bin/sh", "-c", "(i=0; while [ $i -lt 1000 ]; do echo bg$i; i=$((i+1)); sleep 0.01; done) & exit 3"],
    });
    expect((await s.exit).code).toBe(3);
    // About 1 s, not the grandchild's 10 s of writing (a margin for a busy machine).
    expect(performance.now() - t0).toBeLessThan(5000);
    expect(s.stdout().toString()).toMatch(/^bg0\n/);
  });
});

describe("the metrics port", () => {
  it("taken: the runner still runs, the supervisor says why, the exit code is the runner's", async () => {
    const blocker = createServer();
    await new Promise<void>((r) => blocker.listen(0, "127.0.0.1", r));
    onTestFinished(() => void blocker.close());
    const port = (blocker.address() as { port: number }).port;
    const { command, env } = scripted([{ out: "runner output" }, { sleep: 0.3 }, { exit: 4 }]);
    const s = start({ command, env: { ...env, METRICS_PORT: String(port) } });
    expect((await s.exit).code).toBe(4);
    expect(s.stdout().toString()).toBe("runner output\n");
    expect(s.stderr()).toMatch(
      new RegExp(`^runner-supervisor: metrics endpoint disabled: cannot listen on 127\\.0\\.0\\.1 port ${port}: EADDRINUSE`),
    );
  });
});
