import { describe, expect, it } from "vitest";
import { runnerStatusCollector } from "../../../src/collectors/runner-status.js";
import { harness } from "./observe.js";

describe("the runner-status collector", () => {
  it("offline, idle and the configured version at start; the start time and an uptime that moves with the clock", async () => {
    const clock = { mono: 1_000, monotonicMs: () => clock.mono, epochMs: () => 1_700_000_000_000 };
    const h = harness((r) => runnerStatusCollector({ runnerVersion: "unknown" }, r.both, clock));
    const start = await h.after();
    expect(start.value("github_runner_status")).toBe(0);
    expect(start.value("github_runner_busy")).toBe(0);
    expect(start.value("github_runner_info", { version: "unknown" })).toBe(1);
    expect(start.value("github_runner_start_time_seconds")).toBe(1_700_000_000);
    expect(start.value("github_runner_uptime_seconds")).toBe(0);
    clock.mono += 12_345;
    expect((await h.after()).value("github_runner_uptime_seconds")).toBe(12.35);
  });

  it("follows online, busy (with the job's start time only while it runs) and the version the runner prints", async () => {
    const clock = { monotonicMs: () => 0, epochMs: () => 0 };
    const h = harness((r) => runnerStatusCollector({ runnerVersion: "unknown" }, r.both, clock));
    const busy = await h.after(
      { type: "online", online: true },
      { type: "busy", busy: true, sinceEpochSeconds: 1234 },
      { type: "version", version: "2.336.0" },
    );
    expect(busy.value("github_runner_status")).toBe(1);
    expect(busy.value("github_runner_busy")).toBe(1);
    expect(busy.value("github_runner_job_start_time_seconds")).toBe(1234);
    expect(busy.value("github_runner_info", { version: "2.336.0" })).toBe(1);
    expect(busy.value("github_runner_info", { version: "unknown" })).toBeUndefined();
    const idle = await h.after({ type: "busy", busy: false, sinceEpochSeconds: 1300 }, { type: "online", online: false });
    expect(idle.has("github_runner_job_start_time_seconds")).toBe(false);
    expect(idle.value("github_runner_status")).toBe(0);
  });

  it("counts busy seconds exactly: every job that ended, and the job in flight up to the scrape", async () => {
    const clock = { mono: 0, monotonicMs: () => clock.mono, epochMs: () => 0 };
    const h = harness((r) => runnerStatusCollector({ runnerVersion: "unknown" }, r.both, clock));
    expect((await h.after()).value("github_runner_busy_seconds_total")).toBe(0);
    clock.mono = 5_000;
    await h.after({ type: "busy", busy: true, sinceEpochSeconds: 5 });
    clock.mono = 12_500;
    // Mid-job: the scrape sees the 7.5 s so far without any observation in between.
    expect((await h.after()).value("github_runner_busy_seconds_total")).toBe(7.5);
    clock.mono = 20_000;
    await h.after({ type: "busy", busy: false, sinceEpochSeconds: 20 });
    clock.mono = 100_000;
    expect((await h.after()).value("github_runner_busy_seconds_total")).toBe(15);
    await h.after({ type: "busy", busy: true, sinceEpochSeconds: 100 });
    clock.mono = 101_000;
    expect((await h.after()).value("github_runner_busy_seconds_total")).toBe(16);
  });
});
