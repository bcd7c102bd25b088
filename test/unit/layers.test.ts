// The data flows one way (docs/DEVELOPMENT.md): no module imports from a stage further down the
// flow than itself. Each file of src/ belongs to a layer; an import may only reach its own layer
// or one before it.
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { ROOT } from "../helpers/index.js";

const SRC = join(ROOT, "src");
/** Upstream first. A path is matched by its longest listed prefix. */
const LAYERS: readonly (readonly string[])[] = [
  ["names.ts", "redact.ts", "log.ts", "version.ts", "clock.ts", "outbound.ts", "messages/"],
  ["config/", "runner/"],
  ["io/", "process/", "in-job/"],
  ["enrich/", "observation.ts"],
  ["metrics/"],
  ["collectors/"],
  ["http/", "channel/", "push/"],
  ["pipeline.ts"],
  ["services.ts", "after-exit.ts", "cli.ts"],
  ["main.ts", "entry.ts", "simulator/"],
];

function layerOf(path: string): number {
  let best = -1;
  let bestLength = 0;
  LAYERS.forEach((prefixes, layer) => {
    for (const prefix of prefixes) if (path.startsWith(prefix) && prefix.length > bestLength) [best, bestLength] = [layer, prefix.length];
  });
  return best;
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? sourceFiles(join(dir, e.name)) : e.name.endsWith(".ts") ? [join(dir, e.name)] : []));
}

describe("the import graph", () => {
  it("every file of src/ has a layer, and no import runs back up the flow", () => {
    const backwards: string[] = [];
    for (const file of sourceFiles(SRC)) {
      const from = relative(SRC, file);
      expect(layerOf(from), `${from} has no layer`).toBeGreaterThanOrEqual(0);
      for (const [, spec] of readFileSync(file, "utf8").matchAll(/^import [^;]*?from "(\.[^"]+)";/gms)) {
        const to = relative(SRC, resolve(dirname(file), spec!)).replace(/\.js$/, ".ts");
        if (layerOf(to) > layerOf(from)) backwards.push(`${from} -> ${to}`);
      }
    }
    expect(backwards).toEqual([]);
  });
});
