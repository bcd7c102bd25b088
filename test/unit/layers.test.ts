// The data flows one way (docs/DEVELOPMENT.md): no module imports from a stage further down the
// flow than itself. Each file of src/ belongs to a layer; an import may only reach its own room
// (the folder or spine file it is in) or a layer before it, never a neighbour of its own layer,
// so two rooms put side by side cannot grow an arrow back between them unseen.
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { ROOT } from "../helpers/index.js";

const SRC = join(ROOT, "src");
/** Upstream first. A path is matched by its longest listed prefix. */
const LAYERS: readonly (readonly string[])[] = [
  ["common/"],
  ["messages/"],
  ["config/", "runner/"],
  ["io/", "in-job/", "cgroup/"],
  ["process/"],
  ["observation.ts"],
  ["enrich/"],
  ["metrics/"],
  ["collectors/"],
  ["http/", "channel/", "push/", "traces/"],
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

/** The folder a file is in, or the file itself at the root of src/. */
function roomOf(path: string): string {
  return path.split("/")[0]!;
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sourceFiles(join(dir, e.name)) : e.name.endsWith(".ts") ? [join(dir, e.name)] : [],
  );
}

describe("the import graph", () => {
  it("every file of src/ has a layer, and no import runs back up the flow", () => {
    const backwards: string[] = [];
    for (const file of sourceFiles(SRC)) {
      const from = relative(SRC, file);
      expect(layerOf(from), `${from} has no layer`).toBeGreaterThanOrEqual(0);
      for (const [, spec] of readFileSync(file, "utf8").matchAll(/^import [^;]*?from "(\.[^"]+)";/gms)) {
        const to = relative(SRC, resolve(dirname(file), spec!)).replace(/\.js$/, ".ts");
        const sameRoom = roomOf(to) === roomOf(from);
        if (layerOf(to) > layerOf(from) || (layerOf(to) === layerOf(from) && !sameRoom)) backwards.push(`${from} -> ${to}`);
      }
    }
    expect(backwards).toEqual([]);
  });
});
