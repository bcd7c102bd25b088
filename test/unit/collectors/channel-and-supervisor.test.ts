import { describe, expect, it } from "vitest";
import { channelCollector } from "../../../src/collectors/channel.js";
import { supervisorCollector } from "../../../src/collectors/supervisor.js";
import { harness } from "./observe.js";

describe("the channel collector", () => {
  it("starts every kind at 0 and counts messages by kind", async () => {
    const m = await harness((r) => channelCollector(r.both)).after(
      { type: "channel-message", kind: "rejected" },
      { type: "channel-message", kind: "cache_report" },
    );
    expect(m.value("github_runner_context_messages_total", { kind: "rejected" })).toBe(1);
    expect(m.value("github_runner_context_messages_total", { kind: "cache_report" })).toBe(1);
    expect(m.value("github_runner_context_messages_total", { kind: "job_started" })).toBe(0);
  });
});

describe("the supervisor collector", () => {
  it("gives its own version and whether it drains", async () => {
    const h = harness((r) => supervisorCollector({ supervisorVersion: "9.9.9" }, r.both));
    const start = await h.after();
    expect(start.value("github_runner_supervisor_info", { version: "9.9.9" })).toBe(1);
    expect(start.value("github_runner_draining")).toBe(0);
    expect((await h.after({ type: "draining", draining: true })).value("github_runner_draining")).toBe(1);
    expect((await h.after({ type: "draining", draining: false })).value("github_runner_draining")).toBe(0);
  });
});
