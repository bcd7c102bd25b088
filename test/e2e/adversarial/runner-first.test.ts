// Nothing a client, a job step or a second supervisor does may reach the runner (issue rows 1, 2,
// 3 and 9). The runner is a shell that prints a tick every 50 ms and exits 7: a forwarded SIGPIPE
// would kill it (exit 141) and cut its ticks short.
import { spawn } from "node:child_process";
import { readdirSync, utimesSync } from "node:fs";
import { connect } from "node:net";
import { dirname } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { BIN, removeTempDirs, stateOf, stopAll, tempDir, type Running, type StartOptions } from "../../helpers/index.js";
import { connectFrom, sleep, socketOf, startProduction, steadyRunner, ticksIntact } from "./harness.js";

afterEach(async () => {
  await stopAll();
  removeTempDirs();
});
const start = (command: string[], options: StartOptions = {}): Running => startProduction({ ...options, command });

/** Connects to the channel and hangs up at once, before the supervisor answers. */
function hangUp(socketPath: string): Promise<void> {
  return new Promise((resolve) => {
    const c = connect(socketPath);
    c.on("connect", () => c.destroy());
    c.on("error", () => undefined);
    c.on("close", () => resolve());
  });
}

describe("the supervisor's own failed writes never reach the runner", () => {
  it("row 1: job steps that hang up on the channel, and a report that gives up while the supervisor is stopped", async () => {
    const s = start(steadyRunner(5));
    const socketPath = await socketOf(s);
    await s.port;
    for (let i = 0; i < 50; i++) await hangUp(socketPath);
    // A real `report cache` waits 2 s for its answer; the supervisor is stopped for longer, so its answer meets a closed socket.
    process.kill(s.proc.pid!, "SIGSTOP");
    const report = spawn(process.execPath, [BIN, "report", "cache", "--type", "npm", "--hit"], {
      env: { ...process.env, RUNNER_SUPERVISOR_SOCKET: socketPath },
      stdio: "ignore",
    });
    const reported = new Promise((r) => report.once("exit", r));
    await sleep(2_500);
    process.kill(s.proc.pid!, "SIGCONT");
    await reported;
    const exit = await s.exit;
    expect(exit.code).toBe(7);
    expect(ticksIntact(s.stdout().toString(), 5)).toBe(true);
  }, 20_000);

  it("row 2: two pipelined scrapes on a connection that closes while the supervisor is stopped", async () => {
    const s = start(steadyRunner(3));
    const port = await s.port;
    process.kill(s.proc.pid!, "SIGSTOP");
    const c = connectFrom(port);
    await new Promise<void>((r) => c.once("connect", () => r()));
    c.write("GET /metrics HTTP/1.1\r\nHost: x\r\n\r\nGET /metrics HTTP/1.1\r\nHost: x\r\n\r\n");
    await sleep(200);
    c.destroy();
    await sleep(200);
    process.kill(s.proc.pid!, "SIGCONT");
    expect((await s.exit).code).toBe(7);
    expect(ticksIntact(s.stdout().toString(), 3)).toBe(true);
  }, 15_000);

  it("SIGPIPE sent from outside is not forwarded either (not PID 1; as PID 1 see test/e2e/pid1)", async () => {
    const s = start(steadyRunner(2));
    await socketOf(s);
    process.kill(s.proc.pid!, "SIGPIPE");
    expect((await s.exit).code).toBe(7);
    expect(ticksIntact(s.stdout().toString(), 2)).toBe(true);
  }, 10_000);
});

describe("a second supervisor on the same host", () => {
  it("row 3: its clean-up of stale hook directories never touches a live supervisor's directory or socket", async () => {
    const shared = tempDir("rs-shared-tmp-");
    const first = start(steadyRunner(4), { env: { TMPDIR: shared } });
    const socketPath = await socketOf(first);
    await first.port;
    const hookDir = dirname(socketPath);
    // Old enough for any age limit the sweep applies.
    const old = new Date(Date.now() - 3_600_000);
    utimesSync(hookDir, old, old);
    const second = start(["/bin/sh", "-c", "sleep 0.5; exit 0"], { env: { TMPDIR: shared } });
    expect((await second.exit).code).toBe(0);
    const m = await first.metrics();
    expect(m.value("github_runner_context_messages_total", { kind: "rejected" })).toBe(0);
    expect(readdirSync(shared)).toContain(hookDir.split("/").pop());
    expect((await first.exit).code).toBe(7);
    expect(ticksIntact(first.stdout().toString(), 4)).toBe(true);
  }, 15_000);
});

describe("when the supervisor is not PID 1 and is killed", () => {
  it("row 9: the runner does not outlive it (SIGTERM through the parent-death signal)", async () => {
    const s = start(["/bin/sh", "-c", 'echo "runner=$$"; exec sleep 30']);
    let runner = 0;
    for (let i = 0; i < 200 && !runner; i++) {
      runner = Number(/runner=(\d+)/.exec(s.stdout().toString())?.[1] ?? 0);
      await sleep(25);
    }
    expect(runner).toBeGreaterThan(0);
    process.kill(s.proc.pid!, "SIGKILL");
    await s.exit;
    let gone = false;
    for (let i = 0; i < 40 && !gone; i++) {
      // Gone, or a zombie waiting for its new parent to reap it.
      gone = [undefined, "Z"].includes(stateOf(runner));
      if (!gone) await sleep(25);
    }
    expect(gone).toBe(true);
  }, 10_000);
});
