import { basename } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { removeContainers, startContainer } from "./containers.js";
import { suiteEngine } from "./suite.js";

// Docker runs the image's own HEALTHCHECK (Dockerfile.fragment); only its timing is shortened here,
// with docker run's --health-* options, which keep the image's command.
const engine = suiteEngine();
const owner = basename(import.meta.url);
afterAll(() => removeContainers(engine, owner));

describe("the image's HEALTHCHECK, run by Docker", () => {
  it("is healthy while the runner runs, unhealthy once it has exited while the supervisor lingers, and docker stop ends the linger", async () => {
    const c = await startContainer(engine, owner, {
      options: ["--health-interval", "1s", "--health-retries", "1"],
      env: { METRICS_LINGER: "120" },
    });
    const healthy = await c.waitForState((s) => s.State.Health?.Status === "healthy", 30_000, "healthy");
    expect(healthy.Config.Healthcheck?.Test.join(" ")).toContain("/dev/tcp/127.0.0.1/${METRICS_PORT:-9091}");

    await c.control("exit", "0");
    const unhealthy = await c.waitForState((s) => s.State.Health?.Status === "unhealthy", 30_000, "unhealthy");
    expect(unhealthy.State.Running).toBe(true);
    // Lingering: the last metrics are still there for Prometheus, and /health says why it fails.
    const m = await c.metrics();
    expect(m.value("github_runner_status")).toBe(0);
    const health = await c.get("/health");
    expect(health.status).toBe(503);
    expect(await health.text()).toMatch(/exited/);

    const stopped = await c.stop(30);
    expect(stopped.exitCode).toBe(0);
    expect(stopped.ms).toBeLessThan(10_000);
    expect(await c.logs()).toContain("runner-supervisor: the runner exited; serving metrics for 120 s more (SIGTERM ends this)");
  });
});
