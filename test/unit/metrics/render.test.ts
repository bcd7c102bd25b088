import { Counter, Gauge } from "prom-client";
import { describe, expect, it } from "vitest";
import { createRegistries } from "../../../src/metrics/registries.js";
import { createRenderer, REUSE_MS } from "../../../src/metrics/render.js";
import { parseSamples } from "../../helpers/index.js";

function setup() {
  const registries = createRegistries({ runner_name: "r", runner_type: "standard" });
  const jobs = new Counter({ name: "t_jobs_total", help: "Jobs.", labelNames: ["status"] as const, registers: registries.both });
  const value = new Gauge({ name: "t_value", help: "A value.", registers: registries.both });
  jobs.inc({ status: "success" }, 0);
  const clock = { now: 0, version: 0 };
  const render = createRenderer(
    registries,
    () => clock.version,
    () => clock.now,
  );
  return { jobs, value, clock, render };
}

describe("the renderer", () => {
  it("renders both formats with their exact content types and the default labels", async () => {
    const { render } = setup();
    const text = await render("text");
    expect(text.contentType).toBe("text/plain; version=0.0.4; charset=utf-8");
    expect(parseSamples(text.body.toString()).value("t_jobs_total", { status: "success", runner_name: "r", runner_type: "standard" })).toBe(
      0,
    );
    const om = await render("openmetrics");
    expect(om.contentType).toBe("application/openmetrics-text; version=1.0.0; charset=utf-8");
    expect(om.body.toString().endsWith("# EOF\n")).toBe(true);
    expect(parseSamples(om.body.toString(), "openmetrics").value("t_jobs_total", { status: "success" })).toBe(0);
  });

  it("reuses a rendering until something was observed, or it is older than REUSE_MS", async () => {
    const { value, clock, render } = setup();
    value.set(1);
    const first = await render("text");
    value.set(2);
    // Nothing observed: the same buffer, even though a metric was written behind the renderer's back.
    expect(await render("text")).toBe(first);
    clock.version++;
    const second = await render("text");
    expect(second).not.toBe(first);
    expect(parseSamples(second.body.toString()).value("t_value")).toBe(2);
    value.set(3);
    clock.now += REUSE_MS;
    expect(parseSamples((await render("text")).body.toString()).value("t_value")).toBe(3);
  });

  it("an OpenMetrics rendering does not rename the counters the text format renders next", async () => {
    const { clock, render } = setup();
    await render("openmetrics");
    clock.version++;
    const text = (await render("text")).body.toString();
    expect(text).toContain("# TYPE t_jobs_total counter");
    expect(text).toContain('t_jobs_total{status="success"');
  });
});
