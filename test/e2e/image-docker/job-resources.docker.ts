import { mkdirSync, writeFileSync } from "node:fs";
import { basename, join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import type { Samples } from "../../helpers/index.js";
import { removeContainers, startContainer, type Container } from "./containers.js";
import { CACHE_DIR, ROOT } from "./images.mjs";
import { suiteEngine } from "./suite.js";

// Per-job resources and causes from the container's real cgroup (docs/JOB_RESOURCES.md): the
// runner image under a memory and a CPU limit runs jobs that do a known amount of work (the step
// in test/fixtures/image-docker/job-resources-step.sh, chosen by run number), one of them killed by
// the kernel's OOM killer; the scrape's figures for each job must match what it did.
const engine = suiteEngine();
const owner = basename(import.meta.url);
afterAll(() => removeContainers(engine, owner));

const MiB = 1024 * 1024;
const LIMIT_BYTES = 512 * MiB;
const CPUS = 0.5;
const STEP = join(ROOT, "test", "fixtures", "image-docker", "job-resources-step.sh");
/** The scrapes and what each job did, kept for the docs and the lead's report. */
const REPORT = join(CACHE_DIR, "job-resources-report.txt");

const FIGURES = [
  "github_runner_job_cpu_seconds_sum",
  "github_runner_job_cpu_seconds_count",
  "github_runner_job_memory_peak_bytes_sum",
  "github_runner_job_cpu_throttled_seconds_total",
  "github_runner_job_oom_kills_total",
  "github_runner_job_read_bytes_total",
  "github_runner_job_written_bytes_total",
] as const;
type Figures = Record<(typeof FIGURES)[number], number>;
const figures = (m: Samples): Figures => Object.fromEntries(FIGURES.map((name) => [name, m.value(name) ?? Number.NaN])) as Figures;
const minus = (a: Figures, b: Figures): Figures => Object.fromEntries(FIGURES.map((name) => [name, a[name] - b[name]])) as Figures;

/** Runs one stand-in job and returns what the scrape gained from it, once its outcome is in. */
async function oneJob(c: Container, before: Samples): Promise<{ delta: Figures; after: Samples }> {
  const done = before.value("github_runner_job_cpu_seconds_count") ?? 0;
  await c.control("jobs", "1");
  const after = await c.waitForMetrics((m) => (m.value("github_runner_job_cpu_seconds_count") ?? 0) > done, 120_000);
  return { delta: minus(figures(after), figures(before)), after };
}

describe("per-job resources in a container with --memory 512m --cpus 0.5", () => {
  it("match what each job did; the OOM-killed job has its cause; the runner survives", async () => {
    const c = await startContainer(engine, owner, {
      options: [
        "--memory",
        `${LIMIT_BYTES}`,
        "--memory-swap",
        `${LIMIT_BYTES}`,
        "--cpus",
        String(CPUS),
        "-v",
        `${STEP}:/actions-runner/fake/step.sh:ro`,
      ],
    });
    const start = await c.waitForMetrics((m) => m.value("github_runner_status") === 1 && m.has("github_runner_job_cpu_seconds"));
    expect(start.value("github_runner_container_memory_limit_bytes")).toBe(LIMIT_BYTES);
    expect(start.value("github_runner_container_cpu_limit_cores")).toBe(CPUS);

    const burn = await oneJob(c, start);
    // What the container holds before the 200 MiB job (the supervisor, the page cache of the
    // files read so far): the job's peak is the cgroup's, so it includes this.
    const heldBefore = Number(
      (
        await c.exec(["sh", "-c", "cat /sys/fs/cgroup/memory/memory.usage_in_bytes 2>/dev/null || cat /sys/fs/cgroup/memory.current"])
      ).stdout.trim(),
    );
    const hold = await oneJob(c, burn.after);
    const oom = await oneJob(c, hold.after);
    const idle = await oneJob(c, oom.after);
    const end = idle.after;
    const logs = await c.logs();
    mkdirSync(CACHE_DIR, { recursive: true });
    writeFileSync(
      REPORT,
      [
        `per-job figures (scrape differences), limit ${LIMIT_BYTES} bytes and ${CPUS} CPU; the container held ${heldBefore} bytes before the 200 MiB job`,
        ...Object.entries({ burn, hold, oom, idle }).map(([name, j]) => `${name}: ${JSON.stringify(j.delta)}`),
        "",
        "the steps said:",
        ...logs
          .split("\n")
          .filter((l) => /burned|held|nothing to do|allocated \d+ MiB|completed with result/.test(l))
          .filter((l, i, all) => !/allocated/.test(l) || !/allocated/.test(all[i + 1] ?? "")),
        "",
        "the scrape after the four jobs (github_runner_job_*, github_runner_container_*):",
        ...(await (await c.get("/metrics")).text())
          .split("\n")
          .filter((l) => /^github_runner_(job_(cpu|memory|read|written|oom|failures|pressure|info)|container_)/.test(l)),
      ].join("\n"),
    );

    // 1: 3 s of CPU by the step's own clock; the job's other processes (bash, the hooks) add
    // under 2 s. At 0.5 CPU the quota ran out: the kernel counted some throttled time (how much
    // is its own accounting: kernel 6.18 counted from 7 ms to 3.2 s here, docs/JOB_RESOURCES.md).
    expect(burn.delta.github_runner_job_cpu_seconds_sum).toBeGreaterThanOrEqual(2.9);
    expect(burn.delta.github_runner_job_cpu_seconds_sum).toBeLessThan(5);
    expect(burn.delta.github_runner_job_cpu_throttled_seconds_total).toBeGreaterThan(0);
    // 2: 200 MiB touched: at least that, and at most that on top of what the container held
    // before, plus 64 MiB for the job's own processes (Node's runtime, bash, the hooks).
    expect(hold.delta.github_runner_job_memory_peak_bytes_sum).toBeGreaterThanOrEqual(200 * MiB);
    expect(hold.delta.github_runner_job_memory_peak_bytes_sum).toBeLessThanOrEqual(200 * MiB + heldBefore + 64 * MiB);
    // 3: killed by the kernel at the limit; its peak is the limit, its cause oom_killed.
    expect(oom.delta.github_runner_job_oom_kills_total).toBeGreaterThanOrEqual(1);
    expect(oom.delta.github_runner_job_memory_peak_bytes_sum).toBeGreaterThan(LIMIT_BYTES - 64 * MiB);
    expect(oom.delta.github_runner_job_memory_peak_bytes_sum).toBeLessThanOrEqual(LIMIT_BYTES);
    expect(end.value("github_runner_job_failures_total", { cause: "oom_killed" })).toBe(1);
    expect(end.value("github_runner_job_failures_total", { cause: "job_failed" })).toBe(0);
    // 4: the runner survived: the next job ran and succeeded, and the supervisor still serves.
    expect(idle.delta.github_runner_job_oom_kills_total).toBe(0);
    expect(end.value("github_runner_jobs_total", { status: "success" })).toBe(3);
    expect(end.value("github_runner_jobs_total", { status: "failed" })).toBe(1);
    expect(end.value("github_runner_status")).toBe(1);
    expect((await c.inspect()).State.Running).toBe(true);
    expect(logs).toMatch(/burned \{"user":\d+,"system":\d+\} us of CPU/);
    expect(logs).toMatch(/held 209715200 bytes/);
  });
});
