import { spawnSync } from "node:child_process";
import { chmodSync, existsSync, readFileSync, writeFileSync } from "node:fs";
import { createServer, type Server, type Socket } from "node:net";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { hookScript } from "../../../src/channel/hook-files.js";
import { apiJob, FakeGitHub, jobsPage } from "../../fixtures/fake-github.js";
import { BIN, FIXTURES, parseSamples, removeTempDirs, startSupervisor, tempDir, until, type Running } from "../../helpers/index.js";

const HOOK_RUNNER = join(FIXTURES, "context");

let running: Running[] = [];
let github: FakeGitHub | undefined;
const servers: Server[] = [];

afterEach(async () => {
  for (const r of running) if (r.proc.exitCode === null && r.proc.signalCode === null) r.proc.kill("SIGKILL");
  await Promise.all(running.map((r) => r.exit));
  running = [];
  await github?.stop();
  github = undefined;
  for (const s of servers.splice(0)) s.close();
  removeTempDirs();
});

function start(env: Record<string, string>, command?: string[]): Running {
  const r = startSupervisor({ runnerHome: HOOK_RUNNER, env, ...(command ? { command } : {}) });
  running.push(r);
  return r;
}

/** Milliseconds each hook took, as the fake runner measured them around `bash -e hook.sh`. */
function hookTimes(stderr: string): number[] {
  return [...stderr.matchAll(/hook job-(?:started|completed) took (\d+) ms/g)].map((m) => Number(m[1]));
}

describe("a job through the hooks, the API look-up and a cache report (built supervisor, fake runner, local API)", () => {
  it("exposes queue time, cache counters, labels and deploy metrics from the job's context", async () => {
    github = new FakeGitHub();
    github.answer({
      status: 200,
      body: jobsPage([
        apiJob({ name: "build", runner_name: "another-runner", created_at: "2026-11-25T09:59:00Z", started_at: "2026-11-25T09:59:01Z" }),
        apiJob({ name: "deploy (production)", runner_name: "registered-runner" }),
      ]),
    });
    const api = await github.start();
    const dir = tempDir();
    const event = join(dir, "event.json");
    const commitAt = Math.floor(Date.now() / 1000) - 600;
    writeFileSync(
      event,
      JSON.stringify({ ref: "refs/heads/main", head_commit: { id: "abc", timestamp: new Date(commitAt * 1000).toISOString() } }),
    );
    const r = start({
      GITHUB_API_URL: api,
      GITHUB_API_TOKEN: "s3cret-token",
      FAKE_REGISTERED_NAME: "registered-runner",
      FAKE_CACHE: "npm",
      FAKE_EVENT: event,
      DEPLOY_PATTERN: "Deploy|deploy-.*",
      JOB_LABELS: "repository,workflow",
      METRICS_LINGER: "20",
    });
    const s = await r.waitFor(
      (m) =>
        m.value("github_runner_queue_time_seconds") !== undefined &&
        m.value("github_runner_jobs_total", { status: "success", repository: "acme/shop" }) === 1,
    );
    const labels = { repository: "acme/shop", workflow: "Deploy" };
    expect(s.value("github_runner_queue_time_seconds")).toBe(42);
    expect(s.value("github_runner_job_queue_time_seconds_count", labels)).toBe(1);
    expect(s.value("github_runner_job_queue_time_seconds_sum", labels)).toBe(42);
    expect(s.value("github_runner_job_queue_time_seconds_bucket", { ...labels, le: "30" })).toBe(0);
    expect(s.value("github_runner_job_queue_time_seconds_bucket", { ...labels, le: "60" })).toBe(1);
    expect(s.value("github_runner_cache_requests_total", { cache_type: "npm", result: "hit" })).toBe(1);
    expect(s.value("github_runner_cache_requests_total", { cache_type: "npm", result: "miss" })).toBe(0);
    expect(s.value("github_runner_cache_hit_rate", { cache_type: "npm" })).toBe(1);
    expect(s.value("github_runner_context_messages_total", { kind: "job_started" })).toBe(1);
    expect(s.value("github_runner_context_messages_total", { kind: "job_completed" })).toBe(1);
    expect(s.value("github_runner_context_messages_total", { kind: "cache_report" })).toBe(1);
    expect(s.value("github_runner_jobs_total", { status: "success", ...labels })).toBe(1);
    expect(s.value("github_runner_jobs_total", { status: "success", repository: "unknown", workflow: "unknown" })).toBe(0);
    expect(s.value("github_runner_deployments_total", { result: "success", ...labels })).toBe(1);
    expect(s.value("github_runner_deploy_lead_time_seconds_count", labels)).toBe(1);
    const lead = s.value("github_runner_deploy_lead_time_seconds_sum", labels)!;
    expect(lead).toBeGreaterThanOrEqual(600);
    expect(lead).toBeLessThan(700);
    expect(s.value("github_runner_queue_time_lookup_failures_total", { reason: "no_token" })).toBe(0);
    // Never a run id, SHA or branch in a label; and the whole scrape passes promtool's lint.
    const text = await (await r.get("/metrics")).text();
    expect(text).not.toMatch(/4242|0123456789abcdef|refs\/heads/);
    const lint = spawnSync("promtool", ["check", "metrics"], { input: text, encoding: "utf8", timeout: 20_000 });
    expect(`${lint.stdout}${lint.stderr}`.trim()).toBe("");
    expect(lint.status).toBe(0);
    // The OpenMetrics rendering of the same metrics parses with the official parser.
    parseSamples(await (await r.get("/metrics", { accept: "application/openmetrics-text; version=1.0.0" })).text(), "openmetrics");

    // The API was asked as documented, with the token; the hooks stayed well inside their second.
    expect(github.requests[0]!.url).toBe("/repos/acme/shop/actions/runs/4242/attempts/1/jobs?per_page=100&page=1");
    expect(github.requests[0]!.headers.authorization).toBe("Bearer s3cret-token");
    const times = hookTimes(r.stderr());
    expect(times).toHaveLength(2);
    for (const t of times) expect(t).toBeLessThan(1000);

    // The child has exited; the endpoint lingers until SIGTERM, and the exit code is the child's.
    await until(() => r.stderr().includes("serving metrics for 20 s more"));
    expect((await r.get("/health")).status).toBe(503);
    r.proc.kill("SIGTERM");
    expect(await r.exit).toEqual({ code: 0, signal: null });
  });

  it("without a token: no queue time at all, and the failure counter says no_token", async () => {
    const r = start({ FAKE_REGISTERED_NAME: "registered-runner", METRICS_LINGER: "20" });
    const s = await r.waitFor((m) => m.value("github_runner_jobs_total", { status: "success" }) === 1);
    expect(s.has("github_runner_queue_time_seconds")).toBe(false);
    expect(s.value("github_runner_job_queue_time_seconds_count")).toBe(0);
    expect(s.value("github_runner_queue_time_lookup_failures_total", { reason: "no_token" })).toBe(1);
    // No deploy pattern: no deploy metrics.
    expect(s.has("github_runner_deployments_total")).toBe(false);
    r.proc.kill("SIGTERM");
    await r.exit;
  });

  it("a 401 from the API leaves the queue time absent and is counted as unauthorized", async () => {
    github = new FakeGitHub();
    github.answer({ status: 401, body: { message: "Bad credentials" } });
    const api = await github.start();
    const r = start({ GITHUB_API_URL: api, GITHUB_API_TOKEN: "wrong", FAKE_REGISTERED_NAME: "registered-runner", METRICS_LINGER: "20" });
    const s = await r.waitFor((m) => m.value("github_runner_queue_time_lookup_failures_total", { reason: "unauthorized" }) === 1);
    expect(s.has("github_runner_queue_time_seconds")).toBe(false);
    expect(github.requests).toHaveLength(1);
    r.proc.kill("SIGTERM");
    await r.exit;
  });

  it("a slow API never delays the job, the hooks or a scrape", async () => {
    github = new FakeGitHub();
    github.answer({ hang: true });
    const api = await github.start();
    const r = start({
      GITHUB_API_URL: api,
      GITHUB_API_TOKEN: "t",
      GITHUB_API_TIMEOUT: "60",
      FAKE_REGISTERED_NAME: "registered-runner",
      METRICS_LINGER: "30",
    });
    const s = await r.waitFor((m) => m.value("github_runner_jobs_total", { status: "success" }) === 1);
    expect(s.has("github_runner_queue_time_seconds")).toBe(false);
    expect(github.requests.length).toBeGreaterThanOrEqual(1);
    for (const t of hookTimes(r.stderr())) expect(t).toBeLessThan(1000);
    r.proc.kill("SIGTERM");
    expect((await r.exit).code).toBe(0);
  });

  it("runs the user's own hooks after ours, with the job's variables, and keeps their exit status", async () => {
    const dir = tempDir();
    const marker = join(dir, "marker");
    const started = join(dir, "started.sh");
    const completed = join(dir, "completed.sh");
    writeFileSync(started, `echo "started $GITHUB_JOB $GITHUB_REPOSITORY" >> ${marker}\n`);
    writeFileSync(completed, `echo "completed $GITHUB_JOB" >> ${marker}\nexit 3\n`);
    const r = start({ ACTIONS_RUNNER_HOOK_JOB_STARTED: started, ACTIONS_RUNNER_HOOK_JOB_COMPLETED: completed, METRICS_LINGER: "20" });
    const s = await r.waitFor((m) => m.value("github_runner_jobs_total", { status: "failed" }) === 1);
    expect(readFileSync(marker, "utf8")).toBe("started deploy acme/shop\ncompleted deploy\n");
    // Our part still reached the supervisor before the user's hook failed the job.
    expect(s.value("github_runner_context_messages_total", { kind: "job_completed" })).toBe(1);
    expect(r.stderr()).toContain("hook failed: exit 11");
    r.proc.kill("SIGTERM");
    await r.exit;
  });

  it("keeps the token from the runner and its jobs, and the channel in a private directory removed at exit", async () => {
    const r = start({ GITHUB_API_TOKEN: "s3cret-token" }, [
      "bash",
      "-c",
      'd=$(dirname "$RUNNER_SUPERVISOR_SOCKET"); echo "dir=$d mode=$(stat -c %a "$d") sock=$(stat -c %F "$RUNNER_SUPERVISOR_SOCKET") token=${GITHUB_API_TOKEN:-none} started=$ACTIONS_RUNNER_HOOK_JOB_STARTED"',
    ]);
    expect(await r.exit).toEqual({ code: 0, signal: null });
    const out = r.stdout().toString();
    const m = /dir=(\S+) mode=(\d+) sock=(.+) token=(\S+) started=(\S+)/.exec(out)!;
    expect(m, out).not.toBeNull();
    expect(m[2]).toBe("700");
    expect(m[3]).toBe("socket");
    expect(m[4]).toBe("none");
    expect(m[5]!.startsWith(`${m[1]}/`)).toBe(true);
    expect(existsSync(m[1]!)).toBe(false);
  });

  it("counts a malformed message on the channel as rejected, and goes on", async () => {
    const r = start({ METRICS_LINGER: "20" }, [
      process.execPath,
      "-e",
      'const s = require("net").connect(process.env.RUNNER_SUPERVISOR_SOCKET, () => s.end("{not json\\n")); s.on("close", () => {}); s.resume();',
    ]);
    const s = await r.waitFor((m) => m.value("github_runner_context_messages_total", { kind: "rejected" }) === 1);
    expect(s.value("github_runner_context_messages_total", { kind: "cache_report" })).toBe(0);
    r.proc.kill("SIGTERM");
    await r.exit;
  });
});

describe("the bundle", () => {
  it("installs hooks that call the bundle itself, and they reach it", async () => {
    const out = join(tempDir(), "bundle");
    const { buildBundle } = (await import("../../../bin/build-bundle.mjs")) as { buildBundle: (o: { outdir: string }) => Promise<unknown> };
    await buildBundle({ outdir: out });
    const r = startSupervisor({
      runnerHome: HOOK_RUNNER,
      bin: join(out, "runner-supervisor.cjs"),
      env: { FAKE_CACHE: "buildkit", METRICS_LINGER: "20" },
    });
    running.push(r);
    const s = await r.waitFor((m) => m.value("github_runner_context_messages_total", { kind: "job_completed" }) === 1);
    expect(s.value("github_runner_context_messages_total", { kind: "job_started" })).toBe(1);
    expect(s.value("github_runner_cache_requests_total", { cache_type: "buildkit", result: "hit" })).toBe(1);
    r.proc.kill("SIGTERM");
    await r.exit;
  }, 60_000);
});

describe("the hook script on its own (bash -e, as the runner runs it)", () => {
  const env = { ...process.env, GITHUB_RUN_ID: "1", GITHUB_REPOSITORY: "a/b", GITHUB_WORKFLOW: "w", GITHUB_JOB: "j" };

  function runScript(socketPath: string, user?: string): { status: number | null; ms: number } {
    const dir = tempDir();
    const path = join(dir, "job-started.sh");
    writeFileSync(
      path,
      hookScript("job-started", { node: process.execPath, entry: BIN, userHooks: user ? { "job-started": user } : {} }, socketPath),
    );
    chmodSync(path, 0o700);
    const t0 = performance.now();
    const run = spawnSync("bash", ["-e", path], { env, encoding: "utf8", timeout: 10_000 });
    return { status: run.status, ms: performance.now() - t0 };
  }

  it("exits 0 within a second when the supervisor is gone", () => {
    const r = runScript(join(tempDir(), "gone.sock"));
    expect(r.status).toBe(0);
    // Our part is killed at 0.9 s; bash's and Node's own start add to it on a busy machine.
    expect(r.ms).toBeLessThan(3000);
  });

  it("exits 0 within a second when the supervisor accepts but never answers", async () => {
    const path = join(tempDir(), "hang.sock");
    const held: Socket[] = [];
    const server = createServer((s) => held.push(s));
    servers.push(server);
    await new Promise<void>((resolve) => server.listen(path, resolve));
    // spawnSync would block the event loop that accepts: run bash asynchronously.
    const t0 = performance.now();
    const dir = tempDir();
    const script = join(dir, "job-started.sh");
    writeFileSync(script, hookScript("job-started", { node: process.execPath, entry: BIN, userHooks: {} }, path));
    const { spawn } = await import("node:child_process");
    const code = await new Promise<number | null>((resolve) =>
      spawn("bash", ["-e", script], { env, stdio: "ignore" }).once("exit", resolve),
    );
    expect(code).toBe(0);
    // Killed at 0.9 s at most, not held by the silent supervisor; process starts add to it under load.
    expect(performance.now() - t0).toBeLessThan(3000);
    for (const s of held) s.destroy();
  });

  it("passes the user's hook's exit status through", () => {
    const user = join(tempDir(), "user.sh");
    writeFileSync(user, "exit 5\n");
    expect(runScript(join(tempDir(), "gone.sock"), user).status).toBe(5);
  });
});
