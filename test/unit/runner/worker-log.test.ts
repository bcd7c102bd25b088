import { describe, expect, it } from "vitest";
import { MAX_NAME, MAX_STEPS, StepTimeline } from "../../../src/runner/worker-log.js";

// Lines as the runner's worker writes them (actions/runner: HostTraceListener's header, and the
// messages of JobRunner, StepsRunner, CompositeActionHandler, BackgroundStepCoordinator and
// ProcessInvoker), at second s past 10:00:00 on 2026-11-25.
const at = (s: number) => Date.UTC(2026, 10, 25, 10, 0, s);
const L = (s: number, source: string, message: string, level = "INFO") =>
  `[2026-11-25 10:00:${String(s).padStart(2, "0")}Z ${level} ${source}] ${message}`;
const read = (lines: string[]) => {
  const t = new StepTimeline();
  for (const line of lines) t.line(line);
  return t.outcome();
};

describe("StepTimeline", () => {
  it("reads steps, results, skips and a failed step's exit code", () => {
    const o = read([
      L(0, "JobRunner", "Job ID 7"),
      L(0, "JobRunner", "Run all job steps."),
      L(1, "StepsRunner", "Processing step: DisplayName='Run actions/checkout@v4'"),
      L(1, "StepsRunner", "Starting the step."),
      L(2, "ProcessInvoker", "Process started with process id 2100, waiting for process exit."),
      L(3, "ProcessInvoker", "Finished process 2100 with exit code 0, and elapsed time 00:00:01.0000000."),
      L(3, "StepsRunner", "Step result: Succeeded"),
      L(4, "StepsRunner", "Processing step: DisplayName='Deploy: it's (quoted), ünïcode'"),
      L(4, "StepsRunner", "Skipping step due to condition evaluation."),
      L(5, "StepsRunner", "Processing step: DisplayName='Run npm test'"),
      L(5, "StepsRunner", "Starting the step."),
      L(9, "ProcessInvoker", "Finished process 2101 with exit code 2, and elapsed time 00:00:04.0000000."),
      L(9, "StepsRunner", "Caught exception from step: System.Exception: boom", "ERR "),
      "   at GitHub.Runner.Worker.StepsRunner.RunStepAsync(IStep step)",
      L(9, "StepsRunner", "Step result: Failed"),
    ]);
    expect(o.state).toBe("ok");
    expect(o.steps.map((s) => [s.name, s.startMs, s.endMs, s.result, s.exitCode])).toEqual([
      ["Run actions/checkout@v4", at(1), at(3), "Succeeded", 0],
      ["Deploy: it's (quoted), ünïcode", at(4), at(4), "Skipped", undefined],
      ["Run npm test", at(5), at(9), "Failed", 2],
    ]);
  });

  it("nests a composite action's embedded steps under the step that runs them", () => {
    const o = read([
      L(1, "StepsRunner", "Processing step: DisplayName='Run ./.github/actions/setup'"),
      L(1, "StepsRunner", "Starting the step."),
      L(2, "CompositeActionHandler", "Processing embedded step: DisplayName='Run npm ci'"),
      L(2, "CompositeActionHandler", "Starting: Run npm ci"),
      L(4, "CompositeActionHandler", "Step result: Succeeded"),
      L(4, "CompositeActionHandler", "Processing embedded step: DisplayName='Run lint'"),
      L(4, "CompositeActionHandler", "Skipping step due to condition evaluation."),
      L(5, "StepsRunner", "Step result: Succeeded"),
    ]);
    expect(o.steps.map((s) => [s.name, s.parent, s.startMs, s.endMs, s.result])).toEqual([
      ["Run ./.github/actions/setup", undefined, at(1), at(5), "Succeeded"],
      ["Run npm ci", 0, at(2), at(4), "Succeeded"],
      ["Run lint", 0, at(4), at(4), "Skipped"],
    ]);
  });

  it("follows a background step to its own result, and leaves exit codes alone while it runs", () => {
    const o = read([
      L(1, "StepsRunner", "Processing step: DisplayName='Start server'"),
      L(1, "BackgroundStepCoordinator", "Background step 'server' queued (slot will be acquired asynchronously)."),
      L(1, "BackgroundStepCoordinator", "Background step 'server' waiting for slot."),
      L(2, "BackgroundStepCoordinator", "Background step 'server' acquired slot."),
      L(2, "StepsRunner", "Processing step: DisplayName='Run e2e'"),
      L(2, "StepsRunner", "Starting the step."),
      L(6, "ProcessInvoker", "Finished process 2200 with exit code 1, and elapsed time 00:00:04.0000000."),
      L(6, "StepsRunner", "Step result: Failed"),
      L(7, "BackgroundStepCoordinator", "Background step 'server' completed with result: Canceled"),
    ]);
    expect(o.steps.map((s) => [s.name, s.background, s.startMs, s.endMs, s.result, s.exitCode])).toEqual([
      ["Start server", true, at(2), at(7), "Canceled", undefined],
      // Whose process exited 1 cannot be told while the server runs too: no exit code, not a guess.
      ["Run e2e", false, at(2), at(6), "Failed", undefined],
    ]);
  });

  it("leaves a step the log never ended without an end or a result", () => {
    const o = read([L(1, "StepsRunner", "Processing step: DisplayName='Long'"), L(1, "StepsRunner", "Starting the step.")]);
    expect(o.steps).toMatchObject([{ name: "Long", endMs: undefined, result: undefined }]);
  });

  it("calls a log without one line in the runner's form an unknown format, and gives no steps", () => {
    const garbage = Array.from({ length: 300 }, (_, i) => `{"json": ${i}} Processing step: DisplayName='x'`);
    expect(read(garbage)).toEqual({ state: "unknown-format", steps: [], dropped: 0 });
    // Headers in the runner's form but no step line the reader knows: the step lines changed.
    expect(read(Array.from({ length: 300 }, (_, i) => L(1, "StepsRunner", `Now working on step number ${i}`))).state).toBe(
      "unknown-format",
    );
    expect(read([]).state).toBe("no-log");
  });

  it("stays bounded: names cut, steps beyond the bound counted, not kept", () => {
    const lines: string[] = [];
    for (let i = 0; i < MAX_STEPS + 25; i++)
      lines.push(
        L(1, "StepsRunner", `Processing step: DisplayName='${"x".repeat(MAX_NAME * 4)}${i}'`),
        L(1, "StepsRunner", "Starting the step."),
        L(2, "StepsRunner", "Step result: Succeeded"),
      );
    const o = read(lines);
    expect(o.steps).toHaveLength(MAX_STEPS);
    expect(o.dropped).toBe(25);
    expect(o.steps[0]!.name).toHaveLength(MAX_NAME);
  });
});
