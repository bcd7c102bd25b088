// Every job as a trace, through the built supervisor: a fake runner whose worker writes its
// diagnostic log as the runner does (test/fixtures/traces/run.mjs) runs jobs, the supervisor
// exports them over OTLP to a real HTTP endpoint that decodes each request with the protocol's
// generated definitions (test/fixtures/otlp-receiver.mjs), and the spans are checked against the
// fake runner's own record of what it did: parents, timings, attributes, trace ids. Then the
// collector is down, slow, or the log is garbage: the runner's output and exit never change.
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { FIXTURES, freePort, removeTempDirs, startSupervisor, tempDir, until, type Running } from "../../helpers/index.js";
import { startOtlpReceiver, type OtlpReceiver as Receiver } from "../../fixtures/otlp-receiver.mjs";
import { receiverRunSpanId, receiverTraceId, receiverLegacyJobSpanId } from "../../../src/traces/ids.js";

const RUNNER = join(FIXTURES, "traces", "run.mjs");

interface Record_ {
  name: string;
  runId: string;
  result: string;
  startedMs: number;
  completedMs: number;
  steps: { name: string; startMs: number; endMs: number; result: string; exitCode?: number; background?: boolean }[];
}

let running: Running[] = [];
let receivers: Receiver[] = [];
afterEach(async () => {
  for (const r of running) if (r.proc.exitCode === null && r.proc.signalCode === null) r.proc.kill("SIGKILL");
  await Promise.all(running.map((r) => r.exit));
  await Promise.all(receivers.map((r) => r.close()));
  running = [];
  receivers = [];
  removeTempDirs();
});

async function receiver(behaviour?: (n: number) => { delayMs?: number; status?: number }): Promise<Receiver> {
  const r = await startOtlpReceiver(behaviour ? { behaviour } : {});
  receivers.push(r);
  return r;
}

function start(env: Record<string, string>): Running {
  const home = tempDir("rs-traces-");
  const r = startSupervisor({ runnerHome: home, command: [process.execPath, RUNNER], env: { OTEL_BSP_SCHEDULE_DELAY: "100", ...env } });
  running.push(r);
  return r;
}

const recordsOf = (stderr: string): Record_[] => [...stderr.matchAll(/^record: (.+)$/gm)].map((m) => JSON.parse(m[1]!) as Record_);
const second = (ms: number) => Math.floor(ms / 1000) * 1000;
// A console line or a hook reaches the supervisor a little after the runner noted it (a busy machine).
const SLACK_MS = 1_500;

describe("every job as a trace, over OTLP to a real endpoint", () => {
  it("sends the job, its phases and its steps, joinable with the GitHub receiver's trace, as the runner's record says", async () => {
    const otlp = await receiver();
    const r = start({
      OTEL_EXPORTER_OTLP_ENDPOINT: otlp.url,
      FAKE_JOBS: "2",
      FAKE_RESULTS: "Succeeded,Failed",
      OTEL_SERVICE_NAME: "ci-runners",
      OTEL_RESOURCE_ATTRIBUTES: "deployment.environment.name=test",
    });
    const exit = await r.exit;
    expect(exit.code).toBe(0);
    const records = recordsOf(r.stderr());
    expect(records).toHaveLength(2);
    // 1 job + 3 phases + 8 steps: the two hook steps, checkout, the composite action and its 2 embedded steps, the background step, the tests.
    await until(() => otlp.spans.length >= 2 * 12, 20_000, "24 spans");
    expect(otlp.stats.rejected).toBe(0);
    expect(otlp.stats.protobuf).toBeGreaterThan(0);

    for (const record of records) {
      const traceId = receiverTraceId(record.runId, 2);
      const spans = otlp.spans.filter((s) => s.traceId === traceId);
      const job = spans.find((s) => s.name === record.name)!;
      expect(job, record.name).toBeDefined();
      expect(job.parentSpanId).toBe(receiverRunSpanId(record.runId, 2));
      expect(job.kind).toBe("INTERNAL");
      expect(job.resource).toMatchObject({ "service.name": "ci-runners", "deployment.environment.name": "test" });
      expect(job.attributes).toMatchObject({
        "cicd.pipeline.name": "CI",
        "cicd.pipeline.run.id": record.runId,
        "cicd.pipeline.task.name": record.name,
        "cicd.pipeline.task.run.result": record.result === "Failed" ? "failure" : "success",
        "cicd.worker.name": "test-runner",
        "vcs.owner.name": "acme",
        "vcs.repository.name": "shop",
        "runner_supervisor.run.attempt": 2,
        "runner_supervisor.job.key": "build",
        "runner_supervisor.job.context": "hooks",
        "runner_supervisor.job.steps": "worker_log",
      });
      expect(job.status.code).toBe(record.result === "Failed" ? "ERROR" : "UNSET");
      if (record.result === "Failed") expect(job.attributes["error.type"]).toBe("failure");
      // The job: from the Running job line to the completed line, as the runner noted them.
      expect(job.startMs).toBeGreaterThanOrEqual(record.startedMs);
      expect(job.startMs).toBeLessThanOrEqual(record.startedMs + SLACK_MS);
      expect(job.endMs).toBeGreaterThanOrEqual(record.completedMs);
      expect(job.endMs).toBeLessThanOrEqual(record.completedMs + SLACK_MS);

      const phases = spans.filter((s) => s.parentSpanId === job.spanId && s.attributes["runner_supervisor.job.phase"]);
      expect(phases.map((p) => p.name)).toEqual(["setup", "steps", "cleanup"]);
      for (let i = 1; i < phases.length; i++) expect(phases[i]!.startMs).toBe(phases[i - 1]!.endMs);
      expect(phases[0]!.startMs).toBe(job.startMs);
      expect(phases[2]!.endMs).toBe(job.endMs);
      const stepsPhase = phases[1]!;

      // Each step: under the steps phase (embedded ones under their composite step), its times
      // the log's whole seconds around what the runner noted, its result and a failed step's exit code.
      for (const step of record.steps) {
        const span = spans.find((s) => s.name === step.name)!;
        expect(span, step.name).toBeDefined();
        expect(span.parentSpanId, step.name).toBe(stepsPhase.spanId);
        expect(span.startMs, step.name).toBeGreaterThanOrEqual(second(step.startMs));
        expect(span.startMs, step.name).toBeLessThanOrEqual(step.startMs + SLACK_MS);
        expect(span.endMs, step.name).toBeGreaterThanOrEqual(second(step.endMs));
        // A span is held within its parent: a step the runner ended before the steps phase began
        // (the phase's start is when its hook's message arrived) ends at that start.
        expect(span.endMs, step.name).toBeLessThanOrEqual(Math.max(step.endMs, stepsPhase.startMs));
        expect(span.attributes["cicd.pipeline.task.run.result"], step.name).toBe(step.result === "Failed" ? "failure" : "success");
        expect(span.attributes["process.exit.code"], step.name).toBe(step.exitCode);
        expect(span.attributes["runner_supervisor.step.background"], step.name).toBe(step.background);
        if (step.result === "Failed") expect(span.status.code).toBe("ERROR");
      }
      const composite = spans.find((s) => s.name === "Run ./.github/actions/setup")!;
      const embedded = spans
        .filter((s) => s.parentSpanId === composite.spanId)
        .map((s) => [s.name, s.attributes["cicd.pipeline.task.run.result"]]);
      expect(embedded).toEqual([
        ["Run npm ci", "success"],
        ["Run lint", "success"],
      ]);
    }
    // One line at start-up says where the traces go.
    expect(r.stderr()).toMatch(
      /sending every job as a trace to http:\/\/127\.0\.0\.1:\d+\/v1\/traces \(http\/protobuf, trace ids: github-receiver\)/,
    );
  }, 60_000);

  it("sends http/json too, nests under the receiver's legacy job span, and marks a job whose hooks did not reach it", async () => {
    const otlp = await receiver();
    const r = start({
      OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: `${otlp.url}/v1/traces`,
      OTEL_EXPORTER_OTLP_PROTOCOL: "http/json",
      TRACE_ID_RULE: "github-receiver-legacy",
      FAKE_JOBS: "1",
      METRICS_LINGER: "30",
    });
    await until(() => otlp.spans.some((s) => s.name.startsWith("build")), 20_000, "the job span");
    const [record] = recordsOf(r.stderr());
    const job = otlp.spans.find((s) => s.name === record!.name)!;
    expect(otlp.stats.json).toBeGreaterThan(0);
    expect(job.traceId).toBe(receiverTraceId(record!.runId, 2));
    expect(job.parentSpanId).toBe(receiverLegacyJobSpanId(record!.runId, 2, record!.name));
    // The exporter's own counter, on the metrics endpoint.
    await r.waitFor((m) => m.value("github_runner_trace_spans_total", { outcome: "exported" }) === otlp.spans.length, 20_000);
    r.proc.kill("SIGTERM");
    await r.exit;

    const noHooks = await receiver();
    const r2 = start({ OTEL_EXPORTER_OTLP_ENDPOINT: noHooks.url, JOB_HOOKS_ENABLED: "false", FAKE_JOBS: "1" });
    expect((await r2.exit).code).toBe(0);
    await until(() => noHooks.spans.some((s) => s.name.startsWith("build")), 20_000, "the job span");
    const lone = noHooks.spans.find((s) => s.name.startsWith("build"))!;
    expect(lone.attributes).toMatchObject({ "runner_supervisor.job.context": "missing", "runner_supervisor.job.steps": "worker_log" });
    expect(lone.attributes["cicd.pipeline.run.id"]).toBeUndefined();
    expect(lone.parentSpanId).toBe("");
    // No hook, no phase: the steps hang under the job itself.
    expect(noHooks.spans.filter((s) => s.attributes["runner_supervisor.job.phase"])).toEqual([]);
    expect(noHooks.spans.find((s) => s.name === "Run npm test")!.parentSpanId).toBe(lone.spanId);
  }, 60_000);

  it("keeps the job and phase spans, without steps, when the worker log is garbage, and says so once", async () => {
    const otlp = await receiver();
    const r = start({ OTEL_EXPORTER_OTLP_ENDPOINT: otlp.url, FAKE_WORKER_LOG: "garbage", FAKE_JOBS: "2" });
    expect((await r.exit).code).toBe(0);
    await until(() => otlp.spans.filter((s) => s.name.startsWith("build")).length === 2, 20_000, "two job spans");
    // The jobs and their phases, no step: a phase whose hook missed its budget on a busy machine is
    // absent (never guessed), so the phases are checked by name, not by count.
    const phases = ["cleanup", "setup", "steps"];
    expect(
      otlp.spans
        .map((s) => s.name)
        .filter((n) => !phases.includes(n))
        .sort(),
    ).toEqual(["build (ubuntu, 20)", "build (ubuntu, 21)"]);
    expect(otlp.spans.filter((s) => phases.includes(s.name)).length).toBeGreaterThan(0);
    for (const phase of otlp.spans.filter((s) => phases.includes(s.name)))
      expect(otlp.spans.find((s) => s.spanId === phase.parentSpanId)?.name).toMatch(/^build/);
    for (const job of otlp.spans.filter((s) => s.name.startsWith("build")))
      expect(job.attributes["runner_supervisor.job.steps"]).toBe("unknown_format");
    expect(r.stderr().match(/is not in the form this version reads/g)).toHaveLength(1);
    expect(r.stdout().toString()).toContain("Job build (ubuntu, 21) completed with result: Succeeded");
  }, 60_000);

  it("follows the log onto its next page when the runner rotates it", async () => {
    const otlp = await receiver();
    const r = start({ OTEL_EXPORTER_OTLP_ENDPOINT: otlp.url, FAKE_WORKER_LOG: "rotate", FAKE_STEP_SECONDS: "1.2" });
    expect((await r.exit).code).toBe(0);
    await until(() => otlp.spans.some((s) => s.name === "Complete runner"), 20_000, "the last step, from the second page");
    expect(otlp.spans.find((s) => s.name === "Start database")!.attributes["cicd.pipeline.task.run.result"]).toBe("success");
  }, 60_000);

  it("traces a job that starts before the exporter has loaded: a runner whose first line is its job", async () => {
    // A shell starts in a millisecond, long before the OpenTelemetry SDK has loaded; the job's
    // start is held for it, with the time it was seen, so its worker log is still found.
    const otlp = await receiver();
    const runner = [
      "set -e",
      `now() { date -u '+%Y-%m-%d %H:%M:%SZ'; }`,
      `echo "$(now): Running job: first"`,
      "mkdir -p _diag",
      `log=_diag/Worker_$(date -u +%Y%m%d-%H%M%S)-utc.log`,
      `line() { echo "[$(now) INFO $1] $2" >> "$log"; }`,
      `line Worker 'Version: 2.336.0'`,
      `line JobRunner 'Run all job steps.'`,
      `line StepsRunner "Processing step: DisplayName='Run make'"`,
      `line StepsRunner 'Starting the step.'`,
      "sleep 0.5",
      `line StepsRunner 'Step result: Succeeded'`,
      `echo "$(now): Job first completed with result: Succeeded"`,
    ].join("\n");
    const r = startSupervisor({
      runnerHome: tempDir("rs-traces-"),
      command: ["bash", "-c", runner],
      env: { OTEL_EXPORTER_OTLP_ENDPOINT: otlp.url, OTEL_BSP_SCHEDULE_DELAY: "100" },
    });
    running.push(r);
    expect((await r.exit).code).toBe(0);
    await until(() => otlp.spans.some((s) => s.name === "first"), 20_000, "the job's span");
    expect(otlp.spans.find((s) => s.name === "first")!.attributes["runner_supervisor.job.steps"]).toBe("worker_log");
    expect(otlp.spans.find((s) => s.name === "Run make")?.attributes["cicd.pipeline.task.run.result"]).toBe("success");
  }, 60_000);

  it("costs the runner nothing when the collector is down or slow: same output, same exit, spans counted as failed or dropped", async () => {
    // Down: nothing listens on the port.
    const closed = await freePort();
    const down = start({ OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${closed}`, FAKE_JOBS: "2", METRICS_LINGER: "30" });
    await down.waitFor((m) => (m.value("github_runner_trace_spans_total", { outcome: "failed" }) ?? 0) > 0, 30_000);
    down.proc.kill("SIGTERM");
    const downExit = await down.exit;
    expect(downExit.code).toBe(0);
    expect(
      down
        .stdout()
        .toString()
        .match(/completed with result/g),
    ).toHaveLength(2);

    // Slow: every answer takes a minute; a queue of 4 spans; the rest are dropped and counted.
    const slow = await receiver(() => ({ delayMs: 60_000 }));
    const r = start({
      OTEL_EXPORTER_OTLP_ENDPOINT: slow.url,
      OTEL_BSP_MAX_QUEUE_SIZE: "4",
      OTEL_BSP_MAX_EXPORT_BATCH_SIZE: "2",
      FAKE_JOBS: "2",
      METRICS_LINGER: "30",
    });
    await r.waitFor((m) => m.value("github_runner_jobs_total", { status: "success" }) === 2, 30_000);
    const s = await r.waitFor((m) => (m.value("github_runner_trace_spans_total", { outcome: "dropped" }) ?? 0) > 0, 30_000);
    expect(s.value("github_runner_trace_spans_total", { outcome: "exported" })).toBe(0);
    const stopAt = Date.now();
    r.proc.kill("SIGTERM");
    const exit = await r.exit;
    // The runner's SIGTERM and the supervisor's exit do not wait for the collector beyond the flush bound.
    expect(exit.code).toBe(0);
    expect(Date.now() - stopAt).toBeLessThan(10_000);
    expect(r.stdout().toString()).toContain("Runner listener exit with 0 return code");
  }, 120_000);
});
