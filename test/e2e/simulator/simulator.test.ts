// npm start as a newcomer runs it: the start script of package.json (after its build step), run
// by sh as npm runs it, around the simulated runner. Its console and its metrics must tell the
// same story, its endpoint must listen on loopback only unless METRICS_HOST opens it up, and with
// an OTLP endpoint set it sends every job as a trace, steps and all, read from the worker logs the
// simulator writes in the runner home's _diag (checked at a real OTLP endpoint that decodes what
// it gets, test/fixtures/otlp-receiver.mjs). Every npm start is in this one file, so they run one
// after another: two at once would write their worker logs into the same _diag.
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { RunnerResult } from "../../../src/runner/events.js";
import { statusOf } from "../../../src/runner/jobs.js";
import { DEPLOY_WORKFLOW, JOBS } from "../../../src/simulator/workflows.js";
import { startOtlpReceiver } from "../../fixtures/otlp-receiver.mjs";
import { followSupervisor, parseSamples, ROOT, RUNNER_LAYOUT, until, type Samples } from "../../helpers/index.js";

const BUILD_STEP = "npm run build && ";
const startScript = (JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { scripts: { start: string } }).scripts.start;

interface NpmStart {
  sh: ChildProcess;
  port: Promise<number>;
  stdout(): string;
  stderr(): string;
  /** Resolves when sh (and the supervisor it waits for) has exited. */
  done: Promise<void>;
  metrics(): Promise<Samples>;
}

// Each npm start's worker logs are removed once it has stopped: the next one's jobs must find only their own.
const running: NpmStart[] = [];
let testStartedAt = Date.now();
beforeEach(() => {
  testStartedAt = Date.now();
});
afterEach(async () => {
  for (const r of running.splice(0)) {
    if (r.sh.exitCode === null && r.sh.signalCode === null) process.kill(-r.sh.pid!, "SIGKILL");
    await r.done;
  }
  const diag = join(RUNNER_LAYOUT, "_diag");
  if (!existsSync(diag)) return;
  for (const entry of readdirSync(diag, { withFileTypes: true })) {
    const path = join(diag, entry.name);
    if (entry.isFile() && entry.name.startsWith("Worker_") && statSync(path).mtimeMs >= testStartedAt) rmSync(path, { force: true });
  }
});

/** Runs npm start's command (the part after the build) in its own process group, as a terminal runs npm start. */
function npmStart(env: Record<string, string | undefined>): NpmStart {
  expect(startScript.startsWith(BUILD_STEP)).toBe(true);
  const merged: Record<string, string | undefined> = { ...process.env, METRICS_HOST: undefined, ...env };
  for (const key of Object.keys(merged)) if (merged[key] === undefined) delete merged[key];
  const sh = spawn("sh", ["-c", startScript.slice(BUILD_STEP.length)], {
    cwd: ROOT,
    env: merged,
    detached: true,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  sh.stdout.on("data", (c: Buffer) => (out += c.toString("utf8")));
  const { exit, port, stderr } = followSupervisor(sh);
  const r: NpmStart = {
    sh,
    port,
    stdout: () => out,
    stderr,
    done: exit.then(() => undefined),
    metrics: async () => parseSamples(await (await fetch(`http://127.0.0.1:${await port}/metrics`)).text()),
  };
  running.push(r);
  return r;
}

/** The local addresses a TCP port is listening on, from the kernel's own tables. */
function listeningOn(port: number): string[] {
  const hexPort = port.toString(16).toUpperCase().padStart(4, "0");
  const found: string[] = [];
  for (const table of ["tcp", "tcp6"]) {
    for (const line of readFileSync(`/proc/net/${table}`, "utf8").split("\n").slice(1)) {
      const [, local, , state] = line.trim().split(/\s+/);
      if (!local || state !== "0A" || !local.endsWith(`:${hexPort}`)) continue;
      const address = local.slice(0, local.indexOf(":"));
      if (/^0+$/.test(address)) found.push(table === "tcp" ? "0.0.0.0" : "::");
      else if (table === "tcp")
        found.push(
          address
            .match(/../g)!
            .reverse()
            .map((h) => parseInt(h, 16))
            .join("."),
        );
      else found.push(`ipv6 ${address}`);
    }
  }
  return found;
}

interface ConsoleJob {
  name: string;
  status: string;
  /** Unix time of its completed line (whole seconds), or undefined for a job closed without one. */
  finishedAt: number | undefined;
}

/** The jobs as the console tells them: each Running job line, and its completed line or none (unknown). */
function consoleJobs(stdout: string): ConsoleJob[] {
  const jobs: ConsoleJob[] = [];
  for (const line of stdout.split("\n")) {
    const running = /^\S+ \S+Z: Running job: (.*)$/.exec(line);
    if (running) jobs.push({ name: running[1]!, status: "unknown", finishedAt: undefined });
    const completed = /^(\S+ \S+Z): Job (.*) completed with result: (\w+)$/.exec(line);
    if (completed) {
      const job = jobs.at(-1)!;
      expect(job.name).toBe(completed[2]);
      job.status = statusOf(completed[3] as RunnerResult);
      job.finishedAt = Date.parse(completed[1]!.replace(" ", "T")) / 1000;
    }
  }
  return jobs;
}

const isDeploy = (job: ConsoleJob) => {
  const spec = JOBS.find((j) => j.name === job.name);
  expect(spec, `the simulator's table has no job "${job.name}"`).toBeDefined();
  return spec!.workflow === DEPLOY_WORKFLOW;
};

describe("npm start: the supervisor around the simulated runner", () => {
  it("runs deploys only in its Deploy workflow, each named for where it deploys", () => {
    for (const job of JOBS) expect(/deploy/i.test(`${job.name} ${job.key}`), job.name).toBe(job.workflow === DEPLOY_WORKFLOW);
    expect(JOBS.filter((j) => j.workflow === DEPLOY_WORKFLOW).map((j) => j.name)).toEqual(["deploy (staging)", "deploy (production)"]);
  });

  it("tells the same story in its console and its metrics: deploy metrics come from deploy jobs alone", async () => {
    // The simulation ends after 12 jobs; the endpoint stays up a little for the last scrapes.
    const r = npmStart({ METRICS_PORT: "0", SIMULATOR_PACE: "0.04", SIMULATOR_JOBS: "12", METRICS_LINGER: "20" });
    // Lingering means the runner's output has been read to its end and every job is counted.
    await until(() => r.stderr().includes("serving metrics for 20 s more"), 150_000, "the simulation's end");
    expect(r.stdout()).toMatch(/Exiting runner\.\.\.\n$/);
    const m = await r.metrics();
    const jobs = consoleJobs(r.stdout());
    const deploys = jobs.filter(isDeploy);
    const others = jobs.filter((j) => !isDeploy(j));
    expect(jobs).toHaveLength(12);

    // Every job status, deploy and non-deploy jobs, a failed deploy and a later successful one: the story has every part.
    const statuses = ["success", "failed", "cancelled", "skipped", "abandoned", "unknown"];
    expect(new Set(jobs.map((j) => j.status))).toEqual(new Set(statuses));
    expect(others.length).toBeGreaterThan(0);
    const firstFailure = deploys.findIndex((d) => d.status === "failed");
    expect(firstFailure).toBeGreaterThanOrEqual(0);
    const recovery = deploys.slice(firstFailure).find((d) => d.status === "success");
    expect(recovery).toBeDefined();

    const count = (list: ConsoleJob[], status: string) => list.filter((j) => j.status === status).length;
    for (const status of statuses) {
      expect(m.value("github_runner_jobs_total", { status }), status).toBe(count(jobs, status));
      expect(m.value("github_runner_deployments_total", { result: status }), `deploys ${status}`).toBe(count(deploys, status));
    }
    // Every job ran the hooks, so DEPLOY_PATTERN was tried on each: it matched exactly the deploy jobs.
    expect(m.value("github_runner_deploy_pattern_jobs_total", { matched: "true" })).toBe(deploys.length);
    expect(m.value("github_runner_deploy_pattern_jobs_total", { matched: "false" })).toBe(others.length);
    // Lead time for every successful deploy (CI's workflow_run carries the pushed commit).
    expect(m.value("github_runner_deploy_lead_time_seconds_count")).toBe(count(deploys, "success"));
    // Time to restore: from the first failed deploy to the next successful deploy, as their console lines say (whole seconds).
    expect(m.value("github_runner_deploy_recovery_time_seconds_count")).toBe(1);
    const restore = m.value("github_runner_deploy_recovery_time_seconds_sum")!;
    const restoreByConsole = recovery!.finishedAt! - deploys[firstFailure]!.finishedAt!;
    expect(Math.abs(restore - restoreByConsole)).toBeLessThanOrEqual(1.5);

    expect(m.value("github_runner_info", { version: "2.336.0" })).toBe(1);
    expect(m.value("github_runner_connection_errors_total", { reason: "connect_error" })).toBe(1);
    // Through the supervisor's own hooks and its report command, as on a real runner.
    expect(m.value("github_runner_context_messages_total", { kind: "job_started" })).toBe(12);
    expect(m.value("github_runner_cache_requests_total", { cache_type: "npm", result: "hit" })).toBeGreaterThan(0);
    expect(m.value("github_runner_cache_requests_total", { cache_type: "npm", result: "miss" })).toBeGreaterThan(0);
    expect(m.value("github_runner_queue_time_lookup_failures_total", { reason: "no_token" })).toBe(12);
    // Every job ran both hooks, so set-up and steps are timed for each; clean-up ends at a completed
    // line, which the jobs whose worker died never printed.
    const phaseCount = (phase: string) =>
      statuses.reduce((a, status) => a + (m.value("github_runner_job_phase_duration_seconds_count", { phase, status }) ?? 0), 0);
    expect([phaseCount("setup"), phaseCount("steps"), phaseCount("cleanup")]).toEqual([12, 12, 12 - count(jobs, "unknown")]);
    expect(m.value("github_runner_job_phases_untimed_total", { phase: "cleanup" })).toBe(count(jobs, "unknown"));
    const durations = statuses.reduce((a, status) => a + m.value("github_runner_job_duration_seconds_sum", { status })!, 0);
    expect(Math.abs(m.value("github_runner_busy_seconds_total")! - durations)).toBeLessThan(0.05);

    // Ctrl-C, as a terminal sends it to npm start's whole process group, ends the linger at once.
    process.kill(-r.sh.pid!, "SIGINT");
    await r.done;
    expect(r.stderr()).not.toMatch(/internal error|killing it/);
  }, 200_000);

  it("listens on 127.0.0.1 only, and METRICS_HOST opens it up", async () => {
    // At its own pace the simulation runs for seconds: Ctrl-C ends it after the checks.
    const closed = npmStart({ METRICS_PORT: "0", SIMULATOR_JOBS: "1" });
    const port = await closed.port;
    // A newcomer is told what runs and how to stop it.
    expect(closed.stderr()).toMatch(/SIMULATED runner.*Ctrl-C stops it/);
    expect(closed.stderr()).toContain(`serving metrics on http://127.0.0.1:${port}/metrics (listening on 127.0.0.1 only, port ${port})`);
    expect(listeningOn(port)).toEqual(["127.0.0.1"]);
    expect((await fetch(`http://127.0.0.1:${port}/metrics`)).status).toBe(200);
    process.kill(-closed.sh.pid!, "SIGINT");
    await closed.done;

    const open = npmStart({ METRICS_HOST: "::", METRICS_PORT: "0", SIMULATOR_JOBS: "1" });
    const openPort = await open.port;
    expect(open.stderr()).toContain(
      `serving metrics on http://localhost:${openPort}/metrics (listening on all interfaces, port ${openPort})`,
    );
    expect(listeningOn(openPort)).toEqual(["::"]);
    process.kill(-open.sh.pid!, "SIGINT");
    await open.done;
  });
});

describe("npm start with an OTLP endpoint", () => {
  it("sends every simulated job as a trace with the steps of its worker log", async () => {
    const otlp = await startOtlpReceiver();
    try {
      const r = npmStart({
        METRICS_PORT: "0",
        SIMULATOR_PACE: "0.1",
        SIMULATOR_JOBS: "4",
        OTEL_EXPORTER_OTLP_ENDPOINT: otlp.url,
        OTEL_BSP_SCHEDULE_DELAY: "100",
      });
      await r.done;
      expect(r.sh.exitCode).toBe(0);

      const completed = [...r.stdout().matchAll(/^\S+ \S+Z: Job (.*) completed with result: (\w+)$/gm)].map((m) => ({
        name: m[1]!,
        result: m[2]!,
      }));
      expect(completed).toHaveLength(4);
      await until(() => completed.every((job) => otlp.spans.some((s) => s.name === job.name)), 20_000, "a span for every job");
      for (const job of completed) {
        const span = otlp.spans.find((s) => s.name === job.name)!;
        expect(span.attributes["runner_supervisor.job.steps"], job.name).toBe("worker_log");
        // Under the job's steps phase; directly under the job when a hook missed its budget on a busy machine and the phases are unknown.
        const phase = otlp.spans.find((p) => p.name === "steps" && p.parentSpanId === span.spanId);
        const steps = otlp.spans.filter(
          (s) => s.parentSpanId === (phase ?? span).spanId && !["setup", "steps", "cleanup"].includes(s.name),
        );
        expect(steps.map((s) => s.name)).toContain("Run npm test");
        const test = steps.find((s) => s.name === "Run npm test")!;
        if (job.result === "Failed")
          expect(test.attributes).toMatchObject({ "cicd.pipeline.task.run.result": "failure", "process.exit.code": 1 });
      }
    } finally {
      await otlp.close();
    }
  }, 90_000);
});
