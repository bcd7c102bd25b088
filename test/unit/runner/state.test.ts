import { describe, expect, it } from "vitest";
import type { RunnerEvent } from "../../../src/runner/events.js";
import type { JobContext } from "../../../src/messages/job-context.js";
import type { Clock } from "../../../src/common/clock.js";
import { RunnerTracker, type Change, type FinishedJob } from "../../../src/runner/state.js";

/** A clock the test moves by hand: durations are exact, nothing is timed. */
function manualClock(): Clock & { advance(seconds: number): void } {
  let mono = 1_000;
  let epoch = 1_800_000_000_000;
  return {
    monotonicMs: () => mono,
    epochMs: () => epoch,
    advance(seconds) {
      mono += seconds * 1000;
      epoch += seconds * 1000;
    },
  };
}

const finished = (changes: Change[]) => changes.filter((c) => c.type === "job-finished");
const onlineOf = (changes: Change[]) => changes.filter((c) => c.type === "online").map((c) => (c as { online: boolean }).online);

describe("RunnerTracker", () => {
  it("measures a job from its start line to its completed line", () => {
    const clock = manualClock();
    const t = new RunnerTracker(clock);
    t.apply({ type: "listening" });
    const started = t.apply({ type: "job-started", name: "build" });
    expect(started).toContainEqual({ type: "busy", busy: true, sinceEpochSeconds: 1_800_000_000 });
    expect(t.currentJob).toBe("build");
    clock.advance(42.5);
    const done = t.apply({ type: "job-completed", name: "build", result: "SucceededWithIssues" });
    expect(finished(done)).toEqual([
      {
        type: "job-finished",
        name: "build",
        status: "success",
        durationSeconds: 42.5,
        finishedAtEpochSeconds: 1_800_000_042.5,
        phases: {},
        // No hook: only the two console lines are moments, placed on the wall clock.
        moments: { startedAtMs: 1_800_000_000_000, completedLineAtMs: 1_800_000_042_500 },
      },
    ]);
    expect(done).toContainEqual({ type: "busy", busy: false, sinceEpochSeconds: 1_800_000_042.5 });
    expect(t.currentJob).toBeUndefined();
  });

  it.each<[string, RunnerEvent]>([
    ["the next job start", { type: "job-started", name: "next" }],
    ["the next Listening for Jobs", { type: "listening" }],
  ])("closes a job without a result as unknown at %s", (_label, event) => {
    const clock = manualClock();
    const t = new RunnerTracker(clock);
    t.apply({ type: "job-started", name: "lost" });
    clock.advance(3);
    expect(finished(t.apply(event))).toEqual([
      {
        type: "job-finished",
        name: "lost",
        status: "unknown",
        durationSeconds: 3,
        finishedAtEpochSeconds: 1_800_000_003,
        phases: {},
        moments: { startedAtMs: 1_800_000_000_000 },
      },
    ]);
  });

  it("closes a job without a result as unknown when the child exits, and goes offline", () => {
    const t = new RunnerTracker(manualClock());
    t.apply({ type: "listening" });
    t.apply({ type: "job-started", name: "lost" });
    const changes = t.apply({ type: "child-exited" });
    expect(finished(changes).map((c) => c.status)).toEqual(["unknown"]);
    expect(onlineOf(changes)).toEqual([false]);
  });

  it("counts a completed line with no start seen, without a duration", () => {
    const t = new RunnerTracker(manualClock());
    expect(finished(t.apply({ type: "job-completed", name: "x", result: "Failed" }))).toEqual([
      expect.objectContaining({ status: "failed", durationSeconds: undefined }),
    ]);
  });

  it("is online only while the listener holds a session", () => {
    const t = new RunnerTracker(manualClock());
    const seq: [RunnerEvent, boolean][] = [
      [{ type: "connected" }, false],
      [{ type: "version", version: "2.336.0" }, false],
      [{ type: "listening" }, true],
      [{ type: "job-started", name: "j" }, true],
      [{ type: "connect-error", message: "timeout" }, false],
      [{ type: "job-completed", name: "j", result: "Abandoned" }, false],
      [{ type: "reconnected" }, true],
      [{ type: "update-started" }, false],
      [{ type: "update-finished" }, false],
      [{ type: "listening" }, true],
      [{ type: "session-conflict" }, false],
      [{ type: "listening" }, true],
      [{ type: "listener-exit", reason: "retryable", relaunch: true }, false],
      [{ type: "listening" }, true],
      [{ type: "exiting" }, false],
    ];
    for (const [event, online] of seq) {
      t.apply(event);
      expect(t.isOnline, event.type).toBe(online);
    }
  });

  it("reports each online transition once, and passes every input on", () => {
    const t = new RunnerTracker(manualClock());
    expect(onlineOf(t.apply({ type: "listening" }))).toEqual([true]);
    expect(onlineOf(t.apply({ type: "listening" }))).toEqual([]);
    const event: RunnerEvent = { type: "update-failed", message: "x" };
    expect(t.apply(event)).toContainEqual(event);
  });

  describe("job phases", () => {
    const context = (runId: string): JobContext => ({
      runId,
      runAttempt: 1,
      repository: "acme/shop",
      workflow: "CI",
      job: "build",
      eventName: "push",
      runnerName: "",
    });
    const phasesOf = (changes: Change[]) => (finished(changes)[0] as FinishedJob).phases;

    it("times set-up, steps and clean-up from the line, the two hooks and the completed line", () => {
      const clock = manualClock();
      const t = new RunnerTracker(clock);
      t.apply({ type: "job-started", name: "build" });
      clock.advance(4);
      t.hookContext(context("1"), "job-started");
      clock.advance(30);
      t.hookContext(context("1"), "job-completed");
      clock.advance(1.5);
      expect(phasesOf(t.apply({ type: "job-completed", name: "build", result: "Succeeded" }))).toEqual({
        setup: 4,
        steps: 30,
        cleanup: 1.5,
      });
    });

    it("places the four moments on the wall clock for a trace of the job", () => {
      const clock = manualClock();
      const t = new RunnerTracker(clock);
      t.apply({ type: "job-started", name: "build" });
      clock.advance(4);
      t.hookContext(context("1"), "job-started");
      clock.advance(30);
      t.hookContext(context("1"), "job-completed");
      clock.advance(1.5);
      const job = finished(t.apply({ type: "job-completed", name: "build", result: "Succeeded" }))[0] as FinishedJob;
      expect(job.moments).toEqual({
        startedAtMs: 1_800_000_000_000,
        startedHookAtMs: 1_800_000_004_000,
        completedHookAtMs: 1_800_000_034_000,
        completedLineAtMs: 1_800_000_035_500,
      });
    });

    it("leaves a phase untimed when a moment bounding it never came: no hooks, no completed hook, no completed line", () => {
      const clock = manualClock();
      const t = new RunnerTracker(clock);
      t.apply({ type: "job-started", name: "no hooks" });
      clock.advance(5);
      expect(phasesOf(t.apply({ type: "job-completed", name: "no hooks", result: "Succeeded" }))).toEqual({});

      // Cancelled: the runner skips the completed hook.
      t.apply({ type: "job-started", name: "cancelled" });
      clock.advance(2);
      t.hookContext(context("2"), "job-started");
      clock.advance(3);
      expect(phasesOf(t.apply({ type: "job-completed", name: "cancelled", result: "Canceled" }))).toEqual({ setup: 2 });

      // Closed as unknown at the next job: both hooks ran, the completed line never came.
      t.apply({ type: "job-started", name: "lost" });
      clock.advance(1);
      t.hookContext(context("3"), "job-started");
      clock.advance(2);
      t.hookContext(context("3"), "job-completed");
      clock.advance(7);
      expect(phasesOf(t.apply({ type: "job-started", name: "next" }))).toEqual({ setup: 1, steps: 2 });
    });

    it("a started hook that arrived before its job's line times the steps, not the set-up", () => {
      const clock = manualClock();
      const t = new RunnerTracker(clock);
      t.hookContext(context("4"), "job-started");
      clock.advance(0.05);
      t.apply({ type: "job-started", name: "build" });
      clock.advance(10);
      t.hookContext(context("4"), "job-completed");
      clock.advance(1);
      expect(phasesOf(t.apply({ type: "job-completed", name: "build", result: "Failed" }))).toEqual({ steps: 10.05, cleanup: 1 });
    });

    it("takes the first hook of each kind for the job in flight, and none of another job", () => {
      const clock = manualClock();
      const t = new RunnerTracker(clock);
      t.apply({ type: "job-started", name: "build" });
      clock.advance(1);
      t.hookContext(context("5"), "job-started");
      clock.advance(1);
      t.hookContext(context("5"), "job-started");
      t.hookContext(context("6"), "job-completed");
      clock.advance(2);
      t.hookContext(context("5"), "job-completed");
      clock.advance(1);
      t.hookContext(context("5"), "job-completed");
      expect(phasesOf(t.apply({ type: "job-completed", name: "build", result: "Succeeded" }))).toEqual({ setup: 1, steps: 3, cleanup: 1 });
    });
  });
});
