import { basename } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { removeContainers, startContainer } from "./containers.js";
import { suiteEngine } from "./suite.js";

// Stopping a runner container the ways Docker does: docker stop (SIGTERM, then SIGKILL after the
// timeout), docker kill, and a runner that does not stop.
const engine = suiteEngine();
const owner = basename(import.meta.url);
afterAll(() => removeContainers(engine, owner));
const idle = (m: { value(name: string): number | undefined }) => m.value("github_runner_status") === 1;

describe("docker stop", () => {
  it("cancels the job in flight and stops the runner cleanly, exiting with run.sh's code (143, docs/DOCKER_IMAGE.md) well within the timeout", async () => {
    const c = await startContainer(engine, owner, { options: ["--stop-timeout", "60"], env: { FAKE_STEP_SECONDS: "300" } });
    await c.waitForMetrics(idle);
    await c.control("jobs", "1");
    await c.waitForMetrics((m) => m.value("github_runner_busy") === 1);
    const stopped = await c.stop();
    expect(stopped.exitCode).toBe(143);
    expect(stopped.ms).toBeLessThan(10_000);
    const logs = await c.logs();
    expect(logs).toMatch(/Z: Job build \(image, 1\) completed with result: Canceled\n/);
    // run.sh's line first, then the listener's shutdown and run-helper.sh's, as with the real scripts.
    expect(logs).toMatch(
      /\nExiting runner\.\.\.\n[^]*\nExiting\.\.\.\nRunner listener exit with 0 return code, stop the service, no retry needed\.\n/,
    );
  });

  it("gives 0 for the same stop with EXIT_CODES_TO_ZERO=143,130, as docs/DOCKER_IMAGE.md says", async () => {
    const c = await startContainer(engine, owner, { options: ["--stop-timeout", "60"], env: { EXIT_CODES_TO_ZERO: "143,130" } });
    await c.waitForMetrics(idle);
    const stopped = await c.stop();
    expect(stopped.exitCode).toBe(0);
    expect(await c.logs()).toContain("Exiting runner...");
  });

  it("escalates: a runner that ignores SIGTERM is killed with its processes after STOP_GRACE_PERIOD, exit 137, long before Docker's timeout", async () => {
    const c = await startContainer(engine, owner, { env: { STOP_GRACE_PERIOD: "2" } });
    await c.waitForMetrics(idle);
    await c.control("ignore-stop");
    const stopped = await c.stop(30);
    expect(stopped.exitCode).toBe(137);
    expect(stopped.ms).toBeGreaterThanOrEqual(1_900);
    expect(stopped.ms).toBeLessThan(15_000);
    expect(await c.logs()).toContain("runner-supervisor: the runner still runs 2 s after SIGTERM: killing it and its processes (SIGKILL)");
  });

  it("with STOP_GRACE_PERIOD=0 waits as tini does, until Docker's own SIGKILL at the timeout: 137", async () => {
    const c = await startContainer(engine, owner, { env: { STOP_GRACE_PERIOD: "0" } });
    await c.waitForMetrics(idle);
    await c.control("ignore-stop");
    const stopped = await c.stop(3);
    expect(stopped.exitCode).toBe(137);
    expect(stopped.ms).toBeGreaterThanOrEqual(2_900);
    expect(await c.logs()).not.toContain("killing it");
  });
});

describe("docker kill -s KILL", () => {
  it("ends the container with 137", async () => {
    const c = await startContainer(engine, owner);
    await c.waitForMetrics(idle);
    await c.docker(["kill", "-s", "KILL", c.id]);
    expect(await c.wait()).toBe(137);
  });
});

describe("an entrypoint.sh that runs run.sh without exec (what the guide warns against)", () => {
  it("takes the SIGTERM itself: bash dies with 143 and the runner never stops cleanly", async () => {
    const c = await startContainer(engine, owner, { command: ["--", "/entrypoint-without-exec.sh"] });
    await c.waitForMetrics(idle);
    const stopped = await c.stop(30);
    expect(stopped.exitCode).toBe(143);
    expect(await c.logs()).not.toContain("Exiting runner...");
  });
});
