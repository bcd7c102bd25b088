import { basename } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import type { Samples } from "../../helpers/index.js";
import { removeContainers, startContainer, type Container } from "./containers.js";
import { suiteEngine } from "./suite.js";

// The job hooks and `runner-supervisor report cache` from inside a job's processes, which run as the
// runner's user (uid 1001) like everything in the image, on a writable and on a read-only root.
const engine = suiteEngine();
const owner = basename(import.meta.url);
afterAll(() => removeContainers(engine, owner));

const JOBS = 3;
const count = (m: Samples, name: string, labels: Record<string, string>) => m.value(name, labels) ?? 0;

/** Runs JOBS stand-in jobs (each: started hook, a step that reports a hit and a miss, completed hook). */
async function runJobs(c: Container): Promise<Samples> {
  await c.waitForMetrics((m) => m.value("github_runner_status") === 1);
  await c.control("jobs", String(JOBS));
  return c.waitForMetrics(
    (m) => count(m, "github_runner_jobs_total", { status: "success" }) + count(m, "github_runner_jobs_total", { status: "failed" }) >= JOBS,
  );
}

function expectEveryHookAndReport(m: Samples): void {
  expect(m.value("github_runner_jobs_total", { status: "success" })).toBe(JOBS);
  expect(m.value("github_runner_context_messages_total", { kind: "job_started" })).toBe(JOBS);
  expect(m.value("github_runner_context_messages_total", { kind: "job_completed" })).toBe(JOBS);
  expect(m.value("github_runner_context_messages_total", { kind: "rejected" })).toBe(0);
  // /opt/runner-supervisor/runner-supervisor report cache --type apt --miss, and "$RUNNER_SUPERVISOR" report cache --type npm --hit.
  expect(m.value("github_runner_cache_requests_total", { cache_type: "npm", result: "hit" })).toBe(JOBS);
  expect(m.value("github_runner_cache_requests_total", { cache_type: "apt", result: "miss" })).toBe(JOBS);
  // No token: the queue time is absent and says why.
  expect(m.has("github_runner_queue_time_seconds")).toBe(false);
  expect(m.value("github_runner_queue_time_lookup_failures_total", { reason: "no_token" })).toBe(JOBS);
}

describe("job hooks and report cache in the runner image", () => {
  it("work from the job's processes as the non-root user, through the supervisor's private directory in /tmp", async () => {
    const c = await startContainer(engine, owner);
    expectEveryHookAndReport(await runJobs(c));
    expect(await c.logs()).toContain(`step ran as runner (uid 1001)\n`);
    const dir = (await c.exec(["bash", "-c", "stat -c '%U %a' /tmp/runner-supervisor-*"])).stdout.trim();
    expect(dir).toBe("runner 700");
  });

  it("work on a read-only root with a tmpfs /tmp that allows exec (--read-only --tmpfs /tmp:exec)", async () => {
    const c = await startContainer(engine, owner, { options: ["--read-only", "--tmpfs", "/tmp:exec"] });
    expectEveryHookAndReport(await runJobs(c));
    expect((await c.exec(["bash", "-c", "touch /actions-runner/x 2>&1 || true"])).stdout).toMatch(/Read-only file system/);
  });

  it('work with Docker\'s default tmpfs /tmp (noexec): the hooks are read by bash, and "$RUNNER_SUPERVISOR" is the installed launcher, outside /tmp', async () => {
    const c = await startContainer(engine, owner, { options: ["--read-only", "--tmpfs", "/tmp"] });
    expectEveryHookAndReport(await runJobs(c));
    expect(
      (
        await c.exec(["bash", "-c", "tr '\\0' '\\n' < /proc/$(pgrep -o -f 'bin/Runner.Listener run')/environ | grep ^RUNNER_SUPERVISOR="])
      ).stdout.trim(),
    ).toBe("RUNNER_SUPERVISOR=/opt/runner-supervisor/runner-supervisor");
  });

  it("on a read-only root without any writable /tmp, are turned off with a warning while the runner runs on", async () => {
    const c = await startContainer(engine, owner, { options: ["--read-only"], env: { FAKE_JOBS: "1" } });
    const m = await c.waitForMetrics((s) => s.value("github_runner_jobs_total", { status: "success" }) === 1);
    expect(m.value("github_runner_context_messages_total", { kind: "job_started" })).toBe(0);
    expect(await c.logs()).toMatch(
      /runner-supervisor: job hooks disabled: EROFS: read-only file system, mkdtemp '\/tmp\/runner-supervisor-XXXXXX'; the runner runs on without job context/,
    );
  });
});
