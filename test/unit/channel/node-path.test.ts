import { mkdirSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { stableNodePath } from "../../../src/channel/node-path.js";
import { removeTempDirs, tempDir } from "../../helpers/index.js";

afterEach(() => removeTempDirs());

describe("the Node path handed to the job side", () => {
  it("goes through the runner's externals symlink, not the version directory it resolves to", () => {
    const home = join(tempDir(), "actions-runner");
    mkdirSync(join(home, "externals.2.336.0", "node24", "bin"), { recursive: true });
    writeFileSync(join(home, "externals.2.336.0", "node24", "bin", "node"), "");
    symlinkSync(join(home, "externals.2.336.0"), join(home, "externals"));
    expect(stableNodePath(join(home, "externals.2.336.0", "node24", "bin", "node"), home)).toBe(
      join(home, "externals", "node24", "bin", "node"),
    );
    // bin.VERSION likewise; a runner home given through a symlink of its own is kept as given.
    symlinkSync(home, join(home, "..", "link"));
    expect(stableNodePath(join(home, "bin.2.337.0", "node"), join(home, "..", "link"))).toBe(join(home, "..", "link", "bin", "node"));
  });

  it("keeps any other path as it is", () => {
    const home = tempDir();
    for (const path of [
      "/usr/bin/node",
      join(home, "externals", "node24", "bin", "node"),
      join(home, "tools", "node"),
      join(home, "externals.old-copy", "node"),
    ]) {
      expect(stableNodePath(path, home)).toBe(path);
    }
    expect(stableNodePath("/usr/bin/node", "/nonexistent/runner")).toBe("/usr/bin/node");
  });
});
