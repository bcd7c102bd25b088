// npm start with an OTLP endpoint set: the start script of package.json (after its build step),
// run by sh as npm runs it, sends the simulated runner's jobs as traces, steps and all, read from
// the worker logs the simulator writes in ./_diag. Checked at a real OTLP endpoint that decodes
// what it gets (test/fixtures/otlp-receiver.mjs), against the jobs the console printed.
import { spawn } from "node:child_process";
import { existsSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { ROOT, RUNNER_LAYOUT, until } from "../../helpers/index.js";
import { startOtlpReceiver } from "../../fixtures/otlp-receiver.mjs";

const BUILD_STEP = "npm run build && ";
const startScript = (JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { scripts: { start: string } }).scripts.start;

const cleanups: (() => Promise<void>)[] = [];
const startedAt = Date.now();
afterAll(async () => {
  for (const c of cleanups) await c();
  // The worker logs the simulator wrote in _diag of npm start's runner home for this test.
  const diag = join(RUNNER_LAYOUT, "_diag");
  if (!existsSync(diag)) return;
  for (const name of readdirSync(diag, { withFileTypes: true })
    .filter((e) => e.isFile() && e.name.startsWith("Worker_"))
    .map((e) => e.name)) {
    if (statSync(join(diag, name)).mtimeMs >= startedAt) rmSync(join(diag, name), { force: true });
  }
});

describe("npm start with an OTLP endpoint", () => {
  it("sends every simulated job as a trace with the steps of its worker log", async () => {
    const otlp = await startOtlpReceiver();
    cleanups.push(() => otlp.close());
    expect(startScript.startsWith(BUILD_STEP)).toBe(true);
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      METRICS_PORT: "0",
      SIMULATOR_PACE: "0.1",
      SIMULATOR_JOBS: "4",
      OTEL_EXPORTER_OTLP_ENDPOINT: otlp.url,
      OTEL_BSP_SCHEDULE_DELAY: "100",
    };
    delete env.METRICS_HOST;
    const sh = spawn("sh", ["-c", startScript.slice(BUILD_STEP.length)], {
      cwd: ROOT,
      env,
      detached: true,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    sh.stdout.on("data", (c: Buffer) => (out += c.toString("utf8")));
    const exited = new Promise<number | null>((resolve) => sh.once("exit", (code) => resolve(code)));
    cleanups.push(async () => {
      if (sh.exitCode === null && sh.signalCode === null) process.kill(-sh.pid!, "SIGKILL");
      await exited;
    });
    expect(await exited).toBe(0);

    const completed = [...out.matchAll(/^\S+ \S+Z: Job (.*) completed with result: (\w+)$/gm)].map((m) => ({ name: m[1]!, result: m[2]! }));
    expect(completed).toHaveLength(4);
    await until(() => completed.every((job) => otlp.spans.some((s) => s.name === job.name)), 20_000, "a span for every job");
    for (const job of completed) {
      const span = otlp.spans.find((s) => s.name === job.name)!;
      expect(span.attributes["runner_supervisor.job.steps"], job.name).toBe("worker_log");
      // Under the job's steps phase; directly under the job when a hook missed its budget on a busy machine and the phases are unknown.
      const phase = otlp.spans.find((p) => p.name === "steps" && p.parentSpanId === span.spanId);
      const steps = otlp.spans.filter((s) => s.parentSpanId === (phase ?? span).spanId && !["setup", "steps", "cleanup"].includes(s.name));
      expect(steps.map((s) => s.name)).toContain("Run npm test");
      const test = steps.find((s) => s.name === "Run npm test")!;
      if (job.result === "Failed")
        expect(test.attributes).toMatchObject({ "cicd.pipeline.task.run.result": "failure", "process.exit.code": 1 });
    }
  }, 90_000);
});
