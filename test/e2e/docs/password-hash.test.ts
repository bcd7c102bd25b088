// The web configuration guide's way to make a bcrypt hash without htpasswd: its command, run as written, gives a
// hash the web configuration accepts and the password checks against.
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import bcrypt from "bcryptjs";
import { describe, expect, it } from "vitest";
import { parseWebConfig } from "../../../src/http/web-config/parse.js";
import { ROOT } from "../../helpers/index.js";

describe("docs/WEB_CONFIG.md: a bcrypt hash without htpasswd", () => {
  it("runs as written in a checkout and gives a hash the web configuration accepts", () => {
    const readme = readFileSync(join(ROOT, "docs", "WEB_CONFIG.md"), "utf8");
    const line = /^\s*#\s+read -rsp 'Password: ' pw; printf %s "\$pw" \| (node -e .*)$/m.exec(readme);
    expect(line, "the guide gives the node -e command").not.toBeNull();
    const r = spawnSync("bash", ["-c", line![1]!], { cwd: ROOT, input: "correct horse", encoding: "utf8" });
    expect(r.status, r.stderr).toBe(0);
    const hash = r.stdout.trim();
    expect(bcrypt.compareSync("correct horse", hash)).toBe(true);
    expect(parseWebConfig(`basic_auth_users:\n  prometheus: ${hash}\n`, ROOT).users.get("prometheus")).toBe(hash);
  });
});
