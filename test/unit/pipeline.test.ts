import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { resolveConfig } from "../../src/config/config.js";
import { createPipeline } from "../../src/pipeline.js";
import { FIXTURES, parseSamples } from "../helpers/index.js";

const config = resolveConfig({}, { RUNNER_HOME: "/", RUNNER_NAME: "r1", JOB_DURATION_BUCKETS: "1,10,100", JOB_HOOKS_ENABLED: "false" }, []);
const pipelineOf = (log: (m: string) => void = () => undefined) =>
  createPipeline({ ...config, supervisorVersion: "0", userAgent: "test" }, log);
const scrape = async (pipeline: ReturnType<typeof pipelineOf>) => parseSamples((await pipeline.render("text")).body.toString());

/** Feeds text through the pipeline's real line taps (stdout and stderr) and returns the scrape. */
async function observe(stdout: string, stderr = "", exit = false) {
  const logged: string[] = [];
  const pipeline = pipelineOf((m) => logged.push(m));
  const out = pipeline.tap();
  const err = pipeline.tap();
  out.write(Buffer.from(stdout));
  err.write(Buffer.from(stderr));
  await Promise.all([out.end(), err.end()]);
  if (exit) pipeline.childExited();
  return { samples: await scrape(pipeline), logged };
}

const jobs = (s: ReturnType<typeof parseSamples>, status: string) => s.value("github_runner_jobs_total", { status });

describe("the pipeline on real transcripts", () => {
  it("matrix jobs then Ctrl-C: 7 succeeded, 6 failed, offline after exit", async () => {
    const { samples } = await observe(readFileSync(join(FIXTURES, "transcripts", "matrix-jobs-then-ctrl-c.txt"), "utf8"));
    expect(jobs(samples, "success")).toBe(7);
    expect(jobs(samples, "failed")).toBe(6);
    expect(jobs(samples, "unknown")).toBe(0);
    expect(samples.value("github_runner_info", { version: "2.334.0" })).toBe(1);
    expect(samples.value("github_runner_status")).toBe(0);
  });

  it("connect errors around an abandoned job", async () => {
    const text = readFileSync(join(FIXTURES, "transcripts", "connect-errors-abandoned-job.txt"), "utf8");
    const { samples } = await observe(text);
    expect(jobs(samples, "abandoned")).toBe(1);
    expect(samples.value("github_runner_connection_errors_total", { reason: "connect_error" })).toBe(6);
    expect(samples.value("github_runner_status")).toBe(1); // ends on "Runner reconnected."
  });

  it("print-log-to-stdout echoes do not count twice", async () => {
    const text = readFileSync(join(FIXTURES, "transcripts", "arc-print-log-to-stdout.txt"), "utf8");
    const { samples } = await observe(text);
    expect(samples.value("github_runner_info", { version: "2.316.1" })).toBe(1);
    expect(samples.value("github_runner_status")).toBe(1);
  });

  it("closes the job in flight as unknown when the child exits", async () => {
    const { samples } = await observe("2026-11-25 10:00:00Z: Listening for Jobs\n2026-11-25 10:00:01Z: Running job: killed\n", "", true);
    expect(jobs(samples, "unknown")).toBe(1);
    expect(samples.value("github_runner_busy")).toBe(0);
    expect(samples.value("github_runner_status")).toBe(0);
    expect(samples.has("github_runner_job_start_time_seconds")).toBe(false);
  });

  it("reads a last line without a newline, and skips a line over the cap without losing the next", async () => {
    const huge = "x".repeat(200_000);
    const { samples } = await observe(
      `${huge}\n2026-11-25 10:00:01Z: Running job: a\n2026-11-25 10:00:02Z: Job a completed with result: Failed`,
    );
    expect(jobs(samples, "failed")).toBe(1);
  });

  it("does not parse an overlong last line without a newline", async () => {
    const { samples } = await observe(`2026-11-25 10:00:01Z: Running job: ${"A".repeat(200_000)}`);
    expect(samples.value("github_runner_busy")).toBe(0);
  });

  it("keeps each stream's partial lines apart", async () => {
    const pipeline = pipelineOf();
    const out = pipeline.tap();
    const err = pipeline.tap();
    out.write(Buffer.from("2026-11-25 10:00:01Z: Job a compl"));
    err.write(Buffer.from("noise on stderr\n"));
    out.write(Buffer.from("eted with result: Canceled\n"));
    await Promise.all([out.end(), err.end()]);
    expect(jobs(await scrape(pipeline), "cancelled")).toBe(1);
  });

  it("a listener that throws costs only its own update: the next listener and the metrics still hear of it, and it is said a few times", async () => {
    const logged: string[] = [];
    const pipeline = pipelineOf((m) => logged.push(m));
    const heard: string[] = [];
    pipeline.subscribe(() => {
      throw new Error("listener broke");
    });
    pipeline.subscribe((o) => heard.push(o.type));
    const out = pipeline.tap();
    for (let i = 0; i < 3; i++)
      out.write(
        Buffer.from(`2026-11-25 10:00:01Z: Running job: j${i}\n2026-11-25 10:00:02Z: Job j${i} completed with result: Succeeded\n`),
      );
    await out.end();
    expect(heard.filter((t) => t === "job-finished")).toHaveLength(3);
    expect(jobs(await scrape(pipeline), "success")).toBe(3);
    expect(logged.length).toBe(3);
    expect(logged[0]).toMatch(/metrics update failed \(the runner is unaffected\): listener broke/);
  });
});
