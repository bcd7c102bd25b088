import { describe, expect, it } from "vitest";
import { runGuideBlock } from "./guide.js";
import { ROOT } from "./images.mjs";
import type { Overhead } from "./overhead.mjs";
import { imageSuite, suiteEngine } from "./suite.js";

// The guide's overhead command (test/e2e/image-docker/overhead.mjs), run on the suite's engine once every
// other container is gone (this file runs in a group of its own, after the others).
const engine = suiteEngine();
const MiB = 1024 * 1024;

describe("what the supervisor costs a runner container", () => {
  it("measured beside tini as PID 1 (same image, same runner, same jobs) and a bare sleep, idle and after a burst", async () => {
    const r = await runGuideBlock("overhead", {
      cwd: ROOT,
      env: { ...engine.env, RS_IMAGE_TEST_ENGINE: imageSuite().engine },
      replace: { "overhead.mjs": "overhead.mjs --json" },
      timeoutMs: 300_000,
    });
    const result = JSON.parse(r.stdout) as Overhead;
    process.stderr.write(`${result.rows.map((row) => `image tests: ${row.figure}: ${row.measured} beside ${row.baseline}`).join("\n")}\n`);
    for (const sample of [result.idle, result.after]) {
      // The floor holds: a sleep costs less than a runner under tini, which costs less than one under the supervisor.
      expect(sample.sleep.dockerStats).toBeLessThan(sample.tini.dockerStats);
      expect(sample.tini.dockerStats).toBeLessThan(sample.supervisor.dockerStats);
      // A Node process: tens of MiB, bounded (the bench's target for the process alone is 50 MiB).
      expect(sample.supervisor.dockerStats - sample.tini.dockerStats).toBeGreaterThan(10 * MiB);
      expect(sample.supervisor.dockerStats - sample.tini.dockerStats).toBeLessThan(150 * MiB);
    }
    // The burst leaves no growth that would add up over a runner's life.
    expect(result.after.supervisor.anonymous - result.idle.supervisor.anonymous).toBeLessThan(40 * MiB);
    expect(result.imageAdded).toBeLessThan(5 * MiB);
  });
});
