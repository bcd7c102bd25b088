// Where a job's time goes, through the built supervisor: a fake runner (test/fixtures/context/run.sh)
// runs its jobs as the runner does, with known sleeps in set-up, steps and clean-up, runs the
// supervisor's hooks, and notes when each moment happened. The phases the supervisor exposes must
// lie within what those moments allow; a phase whose moments did not both reach it stays untimed.
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { FIXTURES, removeTempDirs, sleep, startSupervisor, type Running, type Samples } from "../../helpers/index.js";

const HOOK_RUNNER = join(FIXTURES, "context");
// How late the supervisor may read a console line after the runner printed it (a pipe read on a busy machine).
const READ_SLACK_SECONDS = 0.25;

let running: Running[] = [];
afterEach(async () => {
  for (const r of running) if (r.proc.exitCode === null && r.proc.signalCode === null) r.proc.kill("SIGKILL");
  await Promise.all(running.map((r) => r.exit));
  running = [];
  removeTempDirs();
});

function start(env: Record<string, string>): Running {
  const r = startSupervisor({ runnerHome: HOOK_RUNNER, env: { METRICS_LINGER: "30", ...env } });
  running.push(r);
  return r;
}

interface Moments {
  running: number;
  startedHook: [number, number];
  completedHook: [number, number] | undefined;
  completedLine: number | undefined;
}

/** The moments each job's runner noted on stderr, in seconds. */
function momentsOf(stderr: string): Moments[] {
  return [...stderr.matchAll(/^moments: (.+)$/gm)].map((m) => {
    const [running, h1, h1e, h2, h2e, done] = m[1]!.split(" ").map((v) => (v === "-" ? undefined : Number(v) / 1000));
    return { running: running!, startedHook: [h1!, h1e!], completedHook: h2 === undefined ? undefined : [h2, h2e!], completedLine: done };
  });
}

const sumOf = (s: Samples, phase: string, status = "success") => s.value("github_runner_job_phase_duration_seconds_sum", { phase, status });
const countOf = (s: Samples, phase: string, status = "success") =>
  s.value("github_runner_job_phase_duration_seconds_count", { phase, status });
const untimed = (s: Samples, phase: string) => s.value("github_runner_job_phases_untimed_total", { phase });

describe("job phases and busy time, from a fake runner with known sleeps in each phase", () => {
  it("times set-up, steps and clean-up within the moments the runner noted, and counts busy seconds exactly", async () => {
    const r = start({
      FAKE_SETUP_SECONDS: "0.6",
      FAKE_JOB_SECONDS: "1.2",
      FAKE_CLEANUP_SECONDS: "0.4",
      FAKE_JOBS: "2",
      FAKE_LINGER_SECONDS: "30",
    });
    const s = await r.waitFor((m) => m.value("github_runner_jobs_total", { status: "success" }) === 2, 20_000);
    const moments = momentsOf(r.stderr());
    expect(moments).toHaveLength(2);

    // Each bound: a hook reached the supervisor between its start and its end; a line, a little after it was printed.
    const sum = (f: (m: Moments) => number) => moments.reduce((a, m) => a + f(m), 0);
    const setup = [sum((m) => m.startedHook[0] - m.running) - 2 * READ_SLACK_SECONDS, sum((m) => m.startedHook[1] - m.running)];
    const steps = [sum((m) => m.completedHook![0] - m.startedHook[1]), sum((m) => m.completedHook![1] - m.startedHook[0])];
    const cleanup = [
      sum((m) => m.completedLine! - m.completedHook![1]),
      sum((m) => m.completedLine! - m.completedHook![0]) + 2 * READ_SLACK_SECONDS,
    ];
    for (const [phase, [low, high]] of [
      ["setup", setup],
      ["steps", steps],
      ["cleanup", cleanup],
    ] as const) {
      expect(countOf(s, phase), phase).toBe(2);
      expect(sumOf(s, phase), `${phase}: runner's moments allow ${low!.toFixed(3)}..${high!.toFixed(3)} s`).toBeGreaterThanOrEqual(low!);
      expect(sumOf(s, phase), phase).toBeLessThanOrEqual(high!);
      expect(untimed(s, phase), phase).toBe(0);
    }
    // The sleeps themselves are the floor of each phase.
    expect(sumOf(s, "setup")).toBeGreaterThanOrEqual(2 * 0.6 - 2 * READ_SLACK_SECONDS);
    expect(sumOf(s, "steps")).toBeGreaterThanOrEqual(2 * 1.2);
    expect(sumOf(s, "cleanup")).toBeGreaterThanOrEqual(2 * 0.4);

    // Busy seconds are the jobs' durations, measured on the same clock.
    const busy = s.value("github_runner_busy_seconds_total")!;
    expect(Math.abs(busy - s.value("github_runner_job_duration_seconds_sum", { status: "success" })!)).toBeLessThan(0.01);
    expect(Math.abs(sumOf(s, "setup")! + sumOf(s, "steps")! + sumOf(s, "cleanup")! - busy)).toBeLessThan(0.01);
  });

  it("counts busy seconds of the job in flight at every scrape, with nothing observed in between", async () => {
    const r = start({ FAKE_JOB_SECONDS: "30" });
    await r.waitFor((m) => m.value("github_runner_busy") === 1);
    const first = (await r.metrics()).value("github_runner_busy_seconds_total")!;
    await sleep(1_500);
    const second = (await r.metrics()).value("github_runner_busy_seconds_total")!;
    expect(second - first).toBeGreaterThan(1.2);
    expect(second - first).toBeLessThan(3);
    expect((await r.metrics()).value("github_runner_jobs_total", { status: "success" })).toBe(0);
  });

  it("a job cancelled before its completed hook: set-up timed, steps and clean-up untimed", async () => {
    const r = start({ FAKE_SKIP_COMPLETED_HOOK: "1", FAKE_RESULT: "Canceled", FAKE_SETUP_SECONDS: "0.3" });
    const s = await r.waitFor((m) => m.value("github_runner_jobs_total", { status: "cancelled" }) === 1);
    expect(countOf(s, "setup", "cancelled")).toBe(1);
    expect(sumOf(s, "setup", "cancelled")).toBeGreaterThanOrEqual(0.3 - READ_SLACK_SECONDS);
    expect(countOf(s, "steps", "cancelled")).toBe(0);
    expect(countOf(s, "cleanup", "cancelled")).toBe(0);
    expect([untimed(s, "setup"), untimed(s, "steps"), untimed(s, "cleanup")]).toEqual([0, 1, 1]);
  });

  it("a job whose completed line never came (closed as unknown at the next job): clean-up untimed", async () => {
    const r = start({ FAKE_NO_RESULT: "1", FAKE_JOBS: "2" });
    // The second job is closed as unknown too, when the runner exits.
    const s = await r.waitFor((m) => m.value("github_runner_jobs_total", { status: "unknown" }) === 2);
    expect(countOf(s, "setup", "unknown")).toBe(2);
    expect(countOf(s, "steps", "unknown")).toBe(2);
    expect(countOf(s, "cleanup", "unknown")).toBe(0);
    expect(untimed(s, "cleanup")).toBe(2);
  });

  it("hooks that never reach the supervisor (replaced by the runner's .env): no phase observed, all three untimed", async () => {
    const r = start({ FAKE_DOTENV_HOOK: "/dev/null" });
    const s = await r.waitFor((m) => m.value("github_runner_jobs_total", { status: "success" }) === 1);
    for (const phase of ["setup", "steps", "cleanup"]) {
      expect(countOf(s, phase), phase).toBe(0);
      expect(untimed(s, phase), phase).toBe(1);
    }
    // Busy time does not need the hooks.
    expect(s.value("github_runner_busy_seconds_total")).toBeGreaterThan(0.2);
  });
});
