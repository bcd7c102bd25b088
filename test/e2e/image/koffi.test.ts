import { spawnSync } from "node:child_process";
import { rmSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BUNDLE_FILE, KOFFI_NATIVE_FILE } from "../../../bin/build-bundle.mjs";
import { buildBundle, IMAGE_FIXTURES, isolatedCopy, NODE20, NODES, removeTemps, requireNode24, type Built } from "./helpers.js";

// The zombie reaper may reach waitid/waitpid through koffi, whose native part npm installs in a
// separate package. These tests build a small probe that imports koffi the same way and prove
// the build ships that native part beside the bundle, whether or not the supervisor uses it yet.
let probe: Built;

beforeAll(() => {
  probe = buildBundle(join(IMAGE_FIXTURES, "koffi-probe.ts"));
});
afterAll(removeTemps);

function runProbe(node: string, dir: string) {
  return spawnSync(node, [join(dir, BUNDLE_FILE)], { cwd: dir, encoding: "utf8", timeout: 20_000 });
}

describe("a bundle that imports koffi", () => {
  it("ships koffi.node beside the bundle", () => {
    expect(probe.files).toContain(KOFFI_NATIVE_FILE);
  });

  it.each(NODES)("calls libc through koffi from an empty directory on $name", ({ name, path }) => {
    if (name === "Node 24") requireNode24();
    const r = runProbe(path, isolatedCopy(probe));
    expect(r.stdout).toMatch(/^koffi \S+: getpid matches$/m);
    expect(r.status).toBe(0);
  });

  it("turns a missing koffi.node into a rejected import, which the caller can catch", () => {
    const dir = isolatedCopy(probe);
    rmSync(join(dir, KOFFI_NATIVE_FILE));
    const r = runProbe(NODE20, dir);
    expect(r.stdout).toMatch(/^koffi unavailable: Cannot find module '\S*\/koffi\.node'/m);
    expect(r.status).toBe(3);
  });
});
