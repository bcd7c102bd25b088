import { readFileSync } from "node:fs";
import { basename, join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { removeContainers, startContainer, type Container } from "./containers.js";
import { IMAGES, ROOT } from "./images.mjs";
import { suiteEngine } from "./suite.js";

// Moving to the supervisor from a bash entrypoint or from tini, as docs/DOCKER_IMAGE.md describes
// it: the "before" images are the stand-in runner image (ENTRYPOINT ["/entrypoint.sh"]) and the
// same with tini as PID 1; the "after" is the image the fragment built.
const engine = suiteEngine();
const owner = basename(import.meta.url);
afterAll(() => removeContainers(engine, owner));
const GUIDE = readFileSync(join(ROOT, "docs", "DOCKER_IMAGE.md"), "utf8");
const FIXTURES = join(ROOT, "test", "fixtures", "image-docker", "runner");

/** The ENTRYPOINT line of a fixture Dockerfile, which the guide must show as the "before". */
const entrypointOf = (file: string) => /^ENTRYPOINT .*$/m.exec(readFileSync(join(FIXTURES, file), "utf8"))![0];

/** Waits until the stand-in listener is up (by its console line: the "before" images have no endpoint). */
async function listening(c: Container): Promise<void> {
  for (let i = 0; i < 100; i++) {
    if ((await c.logs()).includes("Listening for Jobs")) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`the runner did not start:\n${await c.logs()}`);
}

describe("the guide's 'before' images are the ones tested here", () => {
  it("shows the bash entrypoint and the tini entrypoint exactly as the fixtures have them", () => {
    expect(GUIDE).toContain(entrypointOf("Dockerfile"));
    expect(GUIDE).toContain(entrypointOf("Dockerfile.tini"));
  });
});

describe("moving from a bash entrypoint", () => {
  it("before: run.sh is PID 1 and ignores SIGTERM, so docker stop waits for its timeout and kills the runner (137)", async () => {
    const c = await startContainer(engine, owner, { image: IMAGES.standIn, publish: false });
    await listening(c);
    const stopped = await c.stop(3);
    expect(stopped.exitCode).toBe(137);
    expect(stopped.ms).toBeGreaterThanOrEqual(2_900);
    expect(await c.logs()).not.toContain("Exiting runner...");
  });

  it("after: the same entrypoint.sh as the supervisor's child stops cleanly at once (run.sh's 143)", async () => {
    const c = await startContainer(engine, owner, { publish: false });
    await listening(c);
    const stopped = await c.stop(3);
    expect(stopped.exitCode).toBe(143);
    expect(stopped.ms).toBeLessThan(2_900);
    expect(await c.logs()).toContain("Exiting runner...");
  });
});

describe("moving from tini: the same exit codes", () => {
  const images = [
    { name: "before (tini)", image: IMAGES.tini, env: {} },
    // STOP_GRACE_PERIOD=0: no escalation, as tini.
    { name: "after (runner-supervisor)", image: IMAGES.runner, env: { STOP_GRACE_PERIOD: "0" } },
  ];

  it.each(images)("$name: docker stop stops the runner cleanly (run.sh's 143)", async ({ image, env }) => {
    const c = await startContainer(engine, owner, { image, env: { ...env, RUNNER_MANUALLY_TRAP_SIG: "1" }, publish: false });
    await listening(c);
    const stopped = await c.stop(10);
    expect(stopped.exitCode).toBe(143);
    expect(stopped.ms).toBeLessThan(5_000);
    expect(await c.logs()).toContain("Exiting runner...");
  });

  it.each(images)("$name: a runner that ignores SIGTERM is killed by Docker at the timeout (137)", async ({ image, env }) => {
    const c = await startContainer(engine, owner, { image, env: { ...env, RUNNER_MANUALLY_TRAP_SIG: "1" }, publish: false });
    await listening(c);
    await c.control("ignore-stop");
    const stopped = await c.stop(3);
    expect(stopped.exitCode).toBe(137);
    expect(stopped.ms).toBeGreaterThanOrEqual(2_900);
  });

  it.each(images)("$name: docker kill -s KILL gives 137", async ({ image, env }) => {
    const c = await startContainer(engine, owner, { image, env, publish: false });
    await listening(c);
    await c.docker(["kill", "-s", "KILL", c.id]);
    expect(await c.wait()).toBe(137);
  });
});
