import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { OM0, PROMETHEUS_2, PROMETHEUS_3, TEXT0, weightOf } from "../../fixtures/prometheus-accept.js";
import { parseSamples, startSupervisor, stopSupervisor, type Running } from "../../helpers/index.js";

describe("the endpoint, asked with Prometheus's exact Accept headers", () => {
  let supervisor: Running | undefined;
  beforeAll(async () => {
    supervisor = startSupervisor({ command: ["bash", "-c", "echo 'Listening for Jobs'; sleep 30"], env: { RUNNER_NAME: "negotiation" } });
    await supervisor.port;
  });
  afterAll(async () => stopSupervisor(supervisor));

  it.each([["Prometheus 2.x", PROMETHEUS_2, "openmetrics"] as const, ...PROMETHEUS_3])(
    "%s: an acceptable Content-Type and a body that parses as it says",
    async (_name, accept, format) => {
      const res = await supervisor!.get("/metrics", { Accept: accept });
      expect(res.status).toBe(200);
      const contentType = res.headers.get("content-type")!;
      expect(contentType).toBe(
        format === "openmetrics"
          ? "application/openmetrics-text; version=1.0.0; charset=utf-8"
          : "text/plain; version=0.0.4; charset=utf-8",
      );
      expect(weightOf(contentType, accept), `${contentType} is acceptable under ${accept}`).toBeGreaterThan(0);
      // No format the supervisor could send is weighted higher than the one it sent.
      const other =
        format === "openmetrics"
          ? "text/plain; version=0.0.4; charset=utf-8"
          : "application/openmetrics-text; version=1.0.0; charset=utf-8";
      expect(weightOf(contentType, accept)).toBeGreaterThanOrEqual(weightOf(other, accept));
      // Parsed by the official Prometheus client's parser for the format the Content-Type names.
      const samples = parseSamples(await res.text(), format);
      expect(samples.value("github_runner_jobs_total", { status: "success" })).toBe(0);
      expect(samples.value("github_runner_info", { runner_name: "negotiation" })).toBe(1);
    },
  );

  it("the weight check can fail: OpenMetrics is not acceptable to a text-only header", () => {
    expect(weightOf("application/openmetrics-text; version=1.0.0; charset=utf-8", `${TEXT0};q=0.6`)).toBe(0);
    expect(weightOf("application/openmetrics-text; version=1.0.0; charset=utf-8", `${OM0};q=0.6`)).toBe(0);
  });
});
