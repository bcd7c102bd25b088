import { describe, expect, it } from "vitest";
import { listenerCollector } from "../../../src/collectors/listener.js";
import { harness } from "./observe.js";

describe("the listener collector", () => {
  it("starts every reason at 0 and counts relaunches, connection problems and self-updates", async () => {
    const h = harness((r) => listenerCollector(r.both));
    const start = await h.after();
    for (const reason of ["connect_error", "session_conflict", "session_failed", "runner_removed"])
      expect(start.value("github_runner_connection_errors_total", { reason })).toBe(0);
    const m = await h.after(
      { type: "listener-exit", reason: "retryable", relaunch: true },
      { type: "listener-exit", reason: "success", relaunch: false },
      { type: "connect-error", message: "x" },
      { type: "session-conflict" },
      { type: "session-conflict" },
      { type: "runner-removed" },
      { type: "update-started" },
      { type: "update-failed", message: "disk full" },
    );
    expect(m.value("github_runner_listener_relaunches_total", { reason: "retryable" })).toBe(1);
    expect(m.value("github_runner_listener_relaunches_total", { reason: "updating" })).toBe(0);
    expect(m.value("github_runner_connection_errors_total", { reason: "connect_error" })).toBe(1);
    expect(m.value("github_runner_connection_errors_total", { reason: "session_conflict" })).toBe(2);
    expect(m.value("github_runner_connection_errors_total", { reason: "runner_removed" })).toBe(1);
    expect(m.value("github_runner_updates_total")).toBe(1);
    expect(m.value("github_runner_update_failures_total")).toBe(1);
  });
});
