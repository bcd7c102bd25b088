// The job meter inside the real pipeline, over a cgroup v2 directory in the kernel's formats whose
// files the test changes between a job's start and end, as the kernel would.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { openCgroup } from "../../../src/cgroup/read.js";
import { resolveConfig } from "../../../src/config/config.js";
import type { JobOutcome, Observation } from "../../../src/observation.js";
import { METERED_JOBS_BURST } from "../../../src/enrich/job-meter.js";
import { createPipeline, type Pipeline } from "../../../src/pipeline.js";
import { parseSamples } from "../../helpers/index.js";

const MiB = 1024 * 1024;
const scratch = mkdtempSync(join(tmpdir(), "job-meter-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));
const config = resolveConfig({}, { RUNNER_HOME: "/", RUNNER_NAME: "r1", JOB_HOOKS_ENABLED: "false" }, []);

interface Figures {
  cpuUsec: number;
  currentBytes: number;
  peakBytes: number;
  oomKills: number;
  readBytes: number;
  writtenBytes: number;
}

/** A cgroup v2 tree with a 512 MiB and 1.5 CPU limit, and a pipeline reading it. */
function setUp(): { pipeline: Pipeline; write: (f: Figures) => void; outcomes: JobOutcome[]; logged: string[]; seen: Observation[] } {
  const proc = join(scratch, `proc-${Math.random().toString(36).slice(2)}`);
  const dir = join(proc, "cg");
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(proc, "cgroup"), "0::/\n");
  writeFileSync(join(proc, "mountinfo"), `25 20 0:22 / ${dir} ro - cgroup2 cgroup2 rw\n`);
  writeFileSync(join(dir, "memory.max"), `${512 * MiB}\n`);
  writeFileSync(join(dir, "cpu.max"), "150000 100000\n");
  const write = (f: Figures) => {
    writeFileSync(
      join(dir, "cpu.stat"),
      `usage_usec ${f.cpuUsec}\nuser_usec 0\nsystem_usec 0\nnr_periods 0\nnr_throttled 0\nthrottled_usec 0\n`,
    );
    writeFileSync(join(dir, "memory.current"), `${f.currentBytes}\n`);
    writeFileSync(join(dir, "memory.peak"), `${f.peakBytes}\n`);
    writeFileSync(join(dir, "memory.events"), `low 0\nhigh 0\nmax 0\noom 0\noom_kill ${f.oomKills}\noom_group_kill 0\n`);
    writeFileSync(join(dir, "io.stat"), `8:0 rbytes=${f.readBytes} wbytes=${f.writtenBytes} rios=0 wios=0 dbytes=0 dios=0\n`);
    writeFileSync(
      join(dir, "cpu.pressure"),
      "some avg10=0.00 avg60=0.00 avg300=0.00 total=0\nfull avg10=0.00 avg60=0.00 avg300=0.00 total=0\n",
    );
  };
  write({ cpuUsec: 1_000_000, currentBytes: 40 * MiB, peakBytes: 60 * MiB, oomKills: 0, readBytes: 0, writtenBytes: 0 });
  const logged: string[] = [];
  const pipeline = createPipeline(
    { ...config, supervisorVersion: "0", userAgent: "test" },
    (m) => logged.push(m),
    undefined,
    () => openCgroup(proc),
  );
  const outcomes: JobOutcome[] = [];
  const seen: Observation[] = [];
  pipeline.subscribe((o) => {
    seen.push(o);
    if (o.type === "job-outcome") outcomes.push(o);
  });
  return { pipeline, write, outcomes, logged, seen };
}

async function until(condition: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`${what} did not happen within 10 s`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

async function lines(pipeline: Pipeline, text: string): Promise<void> {
  const tap = pipeline.tap();
  tap.write(Buffer.from(text));
  await tap.end();
}

const scrape = async (p: Pipeline) => parseSamples((await p.render("text")).body.toString());

describe("the job meter", () => {
  it("measures a job between its Running job line and its completed line, and exposes the limits", async () => {
    const { pipeline, write, outcomes, seen } = setUp();
    await until(() => seen.some((o) => o.type === "cgroup-opened"), "the cgroup opening");
    await lines(pipeline, "2026-12-07 10:00:00Z: Listening for Jobs\n2026-12-07 10:00:01Z: Running job: build\n");
    await pipeline.settled();
    // Give the start snapshot its moment before the job's work shows in the files.
    await new Promise((r) => setTimeout(r, 100));
    write({ cpuUsec: 4_500_000, currentBytes: 50 * MiB, peakBytes: 300 * MiB, oomKills: 0, readBytes: 4096, writtenBytes: 1 * MiB });
    await lines(pipeline, "2026-12-07 10:00:09Z: Job build completed with result: Succeeded\n");
    await until(() => outcomes.length === 1, "the job's outcome");
    expect(outcomes[0]).toMatchObject({
      name: "build",
      status: "success",
      cause: undefined,
      usage: {
        cpuSeconds: 3.5,
        memoryPeakBytes: 300 * MiB,
        memoryPeakSource: "cgroup_peak",
        readBytes: 4096,
        writtenBytes: MiB,
        oomKills: 0,
      },
    });
    const m = await scrape(pipeline);
    expect(m.value("github_runner_job_cpu_seconds_sum")).toBeCloseTo(3.5);
    expect(m.value("github_runner_job_memory_peak_bytes_bucket", { le: String(512 * MiB) })).toBe(1);
    expect(m.value("github_runner_job_memory_peak_bytes_bucket", { le: String(256 * MiB) })).toBe(0);
    expect(m.value("github_runner_job_written_bytes_total")).toBe(MiB);
    expect(m.value("github_runner_container_memory_limit_bytes")).toBe(512 * MiB);
    expect(m.value("github_runner_container_cpu_limit_cores")).toBe(1.5);
    expect(m.value("github_runner_job_pressure_stalled_seconds_total", { resource: "cpu" })).toBe(0);
    expect(m.value("github_runner_job_failures_total", { cause: "oom_killed" })).toBe(0);
  });

  it("an OOM kill during a failed job is its cause, counted once", async () => {
    const { pipeline, write, outcomes, seen } = setUp();
    await until(() => seen.some((o) => o.type === "cgroup-opened"), "the cgroup opening");
    await lines(pipeline, "2026-12-07 10:00:01Z: Running job: hungry\n");
    await new Promise((r) => setTimeout(r, 100));
    write({ cpuUsec: 2_000_000, currentBytes: 100 * MiB, peakBytes: 512 * MiB, oomKills: 1, readBytes: 0, writtenBytes: 0 });
    await lines(pipeline, "2026-12-07 10:00:05Z: Job hungry completed with result: Failed\n");
    await until(() => outcomes.length === 1, "the job's outcome");
    expect(outcomes[0]?.cause).toBe("oom_killed");
    const m = await scrape(pipeline);
    expect(m.value("github_runner_job_failures_total", { cause: "oom_killed" })).toBe(1);
    expect(m.value("github_runner_job_failures_total", { cause: "job_failed" })).toBe(0);
    expect(m.value("github_runner_job_oom_kills_total")).toBe(1);
  });

  it("a stop while the job runs makes runner_stopped; a job closed without its line after none, runner_lost", async () => {
    const { pipeline, outcomes, seen } = setUp();
    await until(() => seen.some((o) => o.type === "cgroup-opened"), "the cgroup opening");
    await lines(pipeline, "2026-12-07 10:00:01Z: Running job: first\n2026-12-07 10:00:02Z: Running job: second\n");
    pipeline.stopping();
    await lines(pipeline, "2026-12-07 10:00:05Z: Job second completed with result: Canceled\n");
    await until(() => outcomes.length === 2, "both outcomes");
    expect(outcomes.map((o) => [o.name, o.status, o.cause])).toEqual([
      ["first", "unknown", "runner_lost"],
      ["second", "cancelled", "runner_stopped"],
    ]);
  });

  it("samples memory while a job runs, for a peak set before the job", async () => {
    const { pipeline, write, outcomes, seen } = setUp();
    await until(() => seen.some((o) => o.type === "cgroup-opened"), "the cgroup opening");
    write({ cpuUsec: 1_000_000, currentBytes: 40 * MiB, peakBytes: 900 * MiB, oomKills: 0, readBytes: 0, writtenBytes: 0 });
    await lines(pipeline, "2026-12-07 10:00:01Z: Running job: sampled\n");
    await new Promise((r) => setTimeout(r, 100));
    write({ cpuUsec: 1_000_000, currentBytes: 222 * MiB, peakBytes: 900 * MiB, oomKills: 0, readBytes: 0, writtenBytes: 0 });
    // At least one sample sees the 222 MiB (one a second), then use falls again before the end.
    await new Promise((r) => setTimeout(r, 2_500));
    write({ cpuUsec: 1_000_000, currentBytes: 45 * MiB, peakBytes: 900 * MiB, oomKills: 0, readBytes: 0, writtenBytes: 0 });
    await lines(pipeline, "2026-12-07 10:00:05Z: Job sampled completed with result: Succeeded\n");
    await until(() => outcomes.length === 1, "the outcome");
    expect(outcomes[0]?.usage).toMatchObject({ memoryPeakBytes: 222 * MiB, memoryPeakSource: "samples" });
  });

  it("a burst of jobs far faster than a runner's: every job gets its outcome, the first ones their usage, and no log line", async () => {
    const { pipeline, outcomes, seen, logged } = setUp();
    await until(() => seen.some((o) => o.type === "cgroup-opened"), "the cgroup opening");
    const burst = Array.from(
      { length: 2000 },
      (_, i) => `2026-12-07 10:00:01Z: Running job: j${i}\n2026-12-07 10:00:01Z: Job j${i} completed with result: Succeeded\n`,
    ).join("");
    await lines(pipeline, burst);
    await pipeline.settled();
    expect(outcomes.length).toBe(2000);
    const metered = outcomes.filter((o) => o.usage !== undefined).length;
    // The burst's allowance, plus what refills while the lines are read (well under a second here).
    expect(metered).toBeGreaterThanOrEqual(METERED_JOBS_BURST);
    expect(metered).toBeLessThan(200);
    const first = new Set(Array.from({ length: METERED_JOBS_BURST }, (_, i) => `j${i}`));
    expect(outcomes.filter((o) => first.has(o.name)).every((o) => o.usage !== undefined)).toBe(true);
    expect(logged).toEqual([]);
  });

  it("without a cgroup: one line says why, the resource metrics are absent, causes still come (but never oom_killed)", async () => {
    const logged: string[] = [];
    const pipeline = createPipeline(
      { ...config, supervisorVersion: "0", userAgent: "test" },
      (m) => logged.push(m),
      undefined,
      () => openCgroup(join(scratch, "none")),
    );
    const outcomes: JobOutcome[] = [];
    pipeline.subscribe((o) => o.type === "job-outcome" && outcomes.push(o));
    await until(() => logged.length > 0, "the start-up line");
    expect(logged).toEqual([`job resources off: cannot read ${join(scratch, "none")}/cgroup and ${join(scratch, "none")}/mountinfo`]);
    await lines(pipeline, "2026-12-07 10:00:01Z: Running job: a\n2026-12-07 10:00:02Z: Job a completed with result: Failed\n");
    expect(outcomes.map((o) => [o.cause, o.usage])).toEqual([["job_failed", undefined]]);
    const m = await scrape(pipeline);
    expect(m.all.some((f) => /^github_runner_(job_cpu|job_memory|job_read|job_written|job_oom|container_)/.test(f.name))).toBe(false);
    expect(m.value("github_runner_job_failures_total", { cause: "job_failed" })).toBe(1);
    expect(m.value("github_runner_job_failures_total", { cause: "oom_killed" })).toBeUndefined();
  });
});
