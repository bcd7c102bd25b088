import { describe, expect, it } from "vitest";
import { queueTimeCollector } from "../../../src/collectors/queue-time.js";
import { harness } from "./observe.js";

const options = { queueTimeBuckets: [10, 60], jobLabelNames: [], unknownJobLabels: {} };

describe("the queue-time collector", () => {
  it("has no value at start, only the failure reasons at 0", async () => {
    const m = await harness((r) => queueTimeCollector(options, r.both)).after();
    expect(m.has("github_runner_queue_time_seconds")).toBe(false);
    expect(m.value("github_runner_job_queue_time_seconds_count")).toBe(0);
    for (const reason of [
      "no_token",
      "no_context",
      "unauthorized",
      "forbidden",
      "not_found",
      "rate_limited",
      "timeout",
      "server_error",
      "network_error",
      "bad_response",
    ]) {
      expect(m.value("github_runner_queue_time_lookup_failures_total", { reason }), reason).toBe(0);
    }
  });

  it("shows a look-up's value, and goes absent (never 0) when the next job has none", async () => {
    const h = harness((r) => queueTimeCollector(options, r.both));
    const ok = await h.after({ type: "queue-time", labels: {}, result: { ok: true, seconds: 42 } });
    expect(ok.value("github_runner_queue_time_seconds")).toBe(42);
    expect(ok.value("github_runner_job_queue_time_seconds_bucket", { le: "60" })).toBe(1);
    const failed = await h.after({ type: "queue-time", labels: {}, result: { ok: false, reason: "forbidden" } });
    expect(failed.has("github_runner_queue_time_seconds")).toBe(false);
    expect(failed.value("github_runner_queue_time_lookup_failures_total", { reason: "forbidden" })).toBe(1);
    expect(failed.value("github_runner_job_queue_time_seconds_count")).toBe(1);
  });

  it("starts a newly labelled repository and workflow at 0", async () => {
    const labels = { repository: "acme/shop", workflow: "Deploy" };
    const m = await harness((r) =>
      queueTimeCollector(
        { ...options, jobLabelNames: ["repository", "workflow"], unknownJobLabels: { repository: "unknown", workflow: "unknown" } },
        r.both,
      ),
    ).after({
      type: "job-labelled",
      labels,
    });
    expect(m.value("github_runner_job_queue_time_seconds_count", labels)).toBe(0);
    expect(m.value("github_runner_job_queue_time_seconds_count", { repository: "unknown", workflow: "unknown" })).toBe(0);
  });
});
