import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { guideBlocks } from "../image-docker/guide.js";
import { ROOT } from "./helpers.js";

// docs/DOCKER_IMAGE.md promises that every command in its shell blocks is run by the image tests
// (npm run test:image), or is marked as an example for a machine that reaches a registry. This
// holds the promise without a Docker engine: every block is marked, and every tested block is one a
// test of test/e2e/image-docker runs by its name.
const DOCKER_TESTS = join(ROOT, "test", "e2e", "image-docker");
const run = new Set(
  readdirSync(DOCKER_TESTS)
    .filter((f) => f.endsWith(".ts"))
    .flatMap((f) =>
      [...readFileSync(join(DOCKER_TESTS, f), "utf8").matchAll(/\b(?:runGuideBlock|guideBlock|guide)\("([\w-]+)"/g)].map((m) => m[1]!),
    ),
);

describe("docs/DOCKER_IMAGE.md's shell blocks", () => {
  const blocks = guideBlocks();

  it("are each marked as run by a test or as an example, and say why an example is one", () => {
    expect(blocks.unmarked).toBe(0);
    expect(blocks.tested.size).toBeGreaterThan(5);
    for (const example of blocks.examples) expect(example.why).toMatch(/\S{4,}/);
  });

  it("marked as tested are all run by the image tests, by name", () => {
    expect([...blocks.tested.keys()].filter((name) => !run.has(name))).toEqual([]);
    expect([...run].filter((name) => !blocks.tested.has(name))).toEqual([]);
  });
});
