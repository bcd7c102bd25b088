import { join } from "node:path";
import type { TestProject } from "vitest/node";
import { startEngine, sweepStaleEngines, whyNoEngine } from "./engine.mjs";
import { runGuideBlock } from "./guide.js";
import { buildImages, runnerContext } from "./images.mjs";

const log = (line: string) => process.stderr.write(`image tests: ${line}\n`);

/**
 * Starts the suite's own Docker engine and builds every image on it, the runner image with the
 * guide's own build command in a user's repository; the returned teardown removes it all, also when
 * tests failed. A Ctrl-C or SIGTERM of the run removes it too.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const why = whyNoEngine();
  if (why) throw new Error(`the image tests cannot run here: ${why}. Run them as root, or skip them explicitly with SKIP_IMAGE_TESTS=1.`);
  const swept = await sweepStaleEngines({ log });
  if (swept.length > 0) log(`removed what ${swept.length} earlier run(s) left behind`);

  const started = Date.now();
  const engine = await startEngine({ log });
  const userRepository = join(engine.workDir, "user-repository");
  const teardown = async () => {
    process.off("SIGINT", interrupted);
    process.off("SIGTERM", interrupted);
    await engine.stop();
  };
  const interrupted = (signal: NodeJS.Signals) => {
    void teardown().finally(() => process.kill(process.pid, signal));
  };
  process.once("SIGINT", interrupted);
  process.once("SIGTERM", interrupted);

  try {
    await runnerContext(userRepository);
    await buildImages(engine, {
      log,
      // The guide's build command, as written, in the user's repository; BuildKit (the legacy
      // builder has a test of its own).
      buildRunner: async () => {
        const build = await runGuideBlock("build", {
          cwd: userRepository,
          env: { ...engine.env, DOCKER_BUILDKIT: "1" },
          timeoutMs: 300_000,
        });
        return { log: `${build.stdout}${build.stderr}` };
      },
    });
    log(`ready after ${((Date.now() - started) / 1000).toFixed(1)} s`);
    project.provide("imageSuite", { engine: engine.name, userRepository });
  } catch (error) {
    await teardown();
    throw error;
  }
  return teardown;
}
