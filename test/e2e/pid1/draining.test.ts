// Draining and escalation, the two things tini cannot do, run with the built supervisor as PID 1
// and the shared stand-in runner (test/fixtures/actions-runner) caught mid-job: its run.sh ends
// with 143 after SIGTERM and 130 after SIGINT, as the real one does.
import { afterEach, describe, expect, it } from "vitest";
import { layoutEnv, parseSamples, removeTempDirs, RUNNER_LAYOUT, tempDir } from "../../helpers/index.js";
import { childrenOf, killAll, procInfo, runAsPid1, sleep, type NsRun } from "./namespace.js";

const RUNNER = [`${RUNNER_LAYOUT}/run.sh`];
const COMPLETED = "completed with result: ";
/** What run.sh ends with when SIGINT ends the drain (the supervisor forwards it as it came). */
const SIGINT_CODE = 130;

afterEach(() => {
  killAll();
  removeTempDirs();
});

/** One job that lasts JOB_SECONDS, started as soon as the listener listens. */
function start(env: Record<string, string>, args: string[] = []): NsRun {
  const { JOB_SECONDS, ...rest } = env;
  return runAsPid1("supervisor", RUNNER, {
    metrics: true,
    args,
    env: { ...layoutEnv(tempDir()), FAKE_JOBS: "1", FAKE_STEP_SECONDS: JOB_SECONDS ?? "2", ...rest },
  });
}

async function waitUntil(check: () => Promise<boolean> | boolean, what: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

async function drainingGauge(run: NsRun): Promise<number | undefined> {
  return parseSamples(await (await run.get("/metrics")).text()).value("github_runner_draining", {});
}

describe("draining (supervisor as PID 1)", () => {
  it("without draining, SIGTERM mid-job cancels the job (the runner's own behaviour)", async () => {
    const run = start({ JOB_SECONDS: "3" });
    await run.waitForOutput("Running job");
    process.kill(await run.pid1(), "SIGTERM");
    expect((await run.exit).code).toBe(143);
    expect(run.stdout()).toContain(`${COMPLETED}Canceled`);
  });

  it("SIGTERM mid-job waits for the job's completed line, then forwards SIGTERM; exit is the child's code", async () => {
    const run = start({ JOB_SECONDS: "2" }, ["--drain"]);
    await run.waitForOutput("Running job");
    expect(await drainingGauge(run)).toBe(0);
    process.kill(await run.pid1(), "SIGTERM");
    await waitUntil(async () => (await (await run.get("/health")).text()).includes("draining"), "/health to say draining");
    const health = await run.get("/health");
    expect(health.status).toBe(503);
    expect(await drainingGauge(run)).toBe(1);
    const exit = await run.exit;
    expect(exit.code).toBe(143);
    const out = run.stdout();
    expect(out).toContain(`${COMPLETED}Succeeded`);
    expect(out).not.toContain("Canceled");
    expect(out.indexOf("Succeeded")).toBeLessThan(out.indexOf("Exiting runner..."));
    expect(run.stderr()).toMatch(/draining over \(the job finished\): forwarding SIGTERM/);
  });

  it("a second SIGTERM ends the wait and is forwarded at once", async () => {
    const run = start({ DRAIN_ENABLED: "true", JOB_SECONDS: "20" });
    await run.waitForOutput("Running job");
    const pid1 = await run.pid1();
    process.kill(pid1, "SIGTERM");
    await waitUntil(async () => (await drainingGauge(run)) === 1, "the draining gauge");
    const t0 = Date.now();
    process.kill(pid1, "SIGTERM");
    const exit = await run.exit;
    expect(exit.code).toBe(143);
    expect(exit.atMs - t0).toBeLessThan(6_000);
    expect(run.stdout()).toContain(`${COMPLETED}Canceled`);
  });

  it("SIGINT while draining also ends the wait", async () => {
    const run = start({ DRAIN_ENABLED: "true", JOB_SECONDS: "20" });
    await run.waitForOutput("Running job");
    const pid1 = await run.pid1();
    process.kill(pid1, "SIGTERM");
    await waitUntil(async () => (await drainingGauge(run)) === 1, "the draining gauge");
    process.kill(pid1, "SIGINT");
    expect((await run.exit).code).toBe(SIGINT_CODE);
    expect(run.stdout()).toContain(`${COMPLETED}Canceled`);
  });

  it("with no job in flight, SIGTERM is forwarded at once", async () => {
    const run = start({ DRAIN_ENABLED: "true", JOB_SECONDS: "0.1" });
    // After a job the listener keeps its session: no new "Listening for Jobs", only the result.
    await waitUntil(() => run.stdout().includes(`${COMPLETED}Succeeded`), "the job's end");
    const t0 = Date.now();
    process.kill(await run.pid1(), "SIGTERM");
    const exit = await run.exit;
    expect(exit.code).toBe(143);
    expect(exit.atMs - t0).toBeLessThan(6_000);
    expect(run.stderr()).not.toMatch(/draining/);
  });

  it("the wait ends after DRAIN_TIMEOUT and SIGTERM is forwarded anyway", async () => {
    const run = start({ DRAIN_ENABLED: "true", JOB_SECONDS: "20" }, ["--drain-timeout", "1"]);
    await run.waitForOutput("Running job");
    const t0 = Date.now();
    process.kill(await run.pid1(), "SIGTERM");
    const exit = await run.exit;
    expect(exit.code).toBe(143);
    expect(exit.atMs - t0).toBeGreaterThanOrEqual(900);
    expect(exit.atMs - t0).toBeLessThan(10_000);
    expect(run.stdout()).toContain(`${COMPLETED}Canceled`);
    expect(run.stderr()).toMatch(/still runs after 1 s/);
  });
});

describe("escalation", () => {
  it("kills the child's whole session, including a process group run.sh made with set -m (not PID 1)", async () => {
    const script = "set -m; trap '' TERM; ( trap '' TERM; echo grandchild $BASHPID; sleep 20 ) & wait; wait";
    const run = runAsPid1("supervisor", ["bash", "-c", script], { notPid1: true, args: ["--stop-grace-period", "1"] });
    await run.waitForOutput("grandchild");
    const grandchild = Number(/grandchild (\d+)/.exec(run.stdout())![1]);
    const [child] = childrenOf(run.proc.pid!);
    expect(procInfo(grandchild)!.pgrp).not.toBe(procInfo(child!)!.pgrp);
    process.kill(run.proc.pid!, "SIGTERM");
    expect((await run.exit).code).toBe(137);
    await waitUntil(() => procInfo(grandchild) === undefined || procInfo(grandchild)!.state === "Z", "the grandchild to die", 10_000);
  });

  it("0 turns escalation off", async () => {
    const run = runAsPid1("supervisor", ["sh", "-c", "trap '' TERM; echo up; sleep 2.5; exit 4"], { args: ["--stop-grace-period", "0"] });
    await run.waitForOutput("up");
    process.kill(await run.pid1(), "SIGTERM");
    expect((await run.exit).code).toBe(4);
  });
});
