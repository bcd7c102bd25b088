import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { StopController, type StopState } from "../../../src/process/stop-controller.js";

function controller(o: { drain?: boolean; graceMs?: number; job?: string } = {}) {
  const forwarded: NodeJS.Signals[] = [];
  const states: StopState[] = [];
  const logged: string[] = [];
  let killed = 0;
  let job = o.job;
  const finishListeners = new Set<() => void>();
  const c = new StopController({
    forward: (signal) => forwarded.push(signal),
    killAll: () => killed++,
    graceMs: o.graceMs ?? 0,
    drain: {
      enabled: o.drain ?? false,
      timeoutMs: 60_000,
      jobInFlight: () => job,
      onJobFinished: (listener) => {
        finishListeners.add(listener);
        return () => finishListeners.delete(listener);
      },
    },
    onState: (state) => states.push(state),
    log: (m) => logged.push(m),
  });
  const finishJob = () => {
    job = undefined;
    for (const l of [...finishListeners]) l();
  };
  return { c, forwarded, states, logged, killed: () => killed, finishJob, listeners: () => finishListeners.size };
}

beforeEach(() => vi.useFakeTimers());
afterEach(() => vi.useRealTimers());

describe("the stop controller", () => {
  it("without draining and escalation is tini: every signal forwarded as it comes", () => {
    const t = controller();
    for (const s of ["SIGHUP", "SIGUSR1", "SIGTERM", "SIGTERM"] as const) t.c.receive(s);
    expect(t.forwarded).toEqual(["SIGHUP", "SIGUSR1", "SIGTERM", "SIGTERM"]);
    expect(t.states).toEqual(["stopping"]);
    expect(t.c.asked).toBe(true);
    vi.advanceTimersByTime(3_600_000);
    expect(t.killed()).toBe(0);
  });

  it("escalates: the child still running the grace period after SIGTERM is killed with everything it started, once", () => {
    const t = controller({ graceMs: 5_000 });
    t.c.receive("SIGINT");
    t.c.receive("SIGTERM");
    vi.advanceTimersByTime(4_999);
    expect(t.killed()).toBe(0);
    vi.advanceTimersByTime(1);
    expect(t.killed()).toBe(1);
    expect(t.logged.join("\n")).toMatch(/still runs 5 s after SIGINT: killing it/);
  });

  it("a child that exits in time is not killed", () => {
    const t = controller({ graceMs: 5_000 });
    t.c.receive("SIGTERM");
    t.c.childExited();
    vi.advanceTimersByTime(10_000);
    expect(t.killed()).toBe(0);
  });

  it("drains: SIGTERM during a job is held until the job finishes, then forwarded", () => {
    const t = controller({ drain: true, job: "build" });
    t.c.receive("SIGTERM");
    expect(t.forwarded).toEqual([]);
    expect(t.states).toEqual(["draining"]);
    t.c.receive("SIGHUP");
    expect(t.forwarded).toEqual(["SIGHUP"]);
    t.finishJob();
    expect(t.forwarded).toEqual(["SIGHUP", "SIGTERM"]);
    expect(t.states).toEqual(["draining", "stopping"]);
    expect(t.listeners()).toBe(0);
  });

  it("a second SIGTERM, a SIGINT or the timeout ends the drain at once", () => {
    const again = controller({ drain: true, job: "build" });
    again.c.receive("SIGTERM");
    again.c.receive("SIGTERM");
    expect(again.forwarded).toEqual(["SIGTERM"]);
    const interrupt = controller({ drain: true, job: "build" });
    interrupt.c.receive("SIGTERM");
    interrupt.c.receive("SIGINT");
    expect(interrupt.forwarded).toEqual(["SIGINT"]);
    const late = controller({ drain: true, job: "build" });
    late.c.receive("SIGTERM");
    vi.advanceTimersByTime(60_000);
    expect(late.forwarded).toEqual(["SIGTERM"]);
    expect(late.logged.join("\n")).toMatch(/still runs after 60 s/);
  });

  it("with no job in flight, draining forwards SIGTERM at once", () => {
    const t = controller({ drain: true });
    t.c.receive("SIGTERM");
    expect(t.forwarded).toEqual(["SIGTERM"]);
  });
});
