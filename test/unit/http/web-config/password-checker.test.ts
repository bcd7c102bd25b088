import { existsSync } from "node:fs";
import { join } from "node:path";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { PasswordChecker } from "../../../../src/http/web-config/password-checker.js";
import { bcryptHash, PASSWORD_WORKER as WORKER, ROOT } from "../../../helpers/index.js";

let hash: string;
beforeAll(() => {
  if (!existsSync(WORKER)) throw new Error(`${WORKER} is missing: run npm run build first`);
  hash = bcryptHash("right horse", 4);
});

const checkers: PasswordChecker[] = [];
afterEach(() => {
  for (const c of checkers.splice(0)) c.close();
});
function checker(maxWaiting = 4): PasswordChecker {
  const c = new PasswordChecker(WORKER, { maxWaiting, idleMs: 60_000 });
  checkers.push(c);
  return c;
}

describe("PasswordChecker", () => {
  it("checks a password against an htpasswd bcrypt hash on its thread", async () => {
    const c = checker();
    expect((await c.check("right horse", hash))!.ok).toBe(true);
    expect((await c.check("wrong horse", hash))!.ok).toBe(false);
    // Another hash: one character of its middle changed (the last one has bits bcrypt ignores).
    const other = `${hash.slice(0, 40)}${hash[40] === "a" ? "b" : "a"}${hash.slice(41)}`;
    expect((await c.check("right horse", other))!.ok).toBe(false);
  });

  it("takes one check and `maxWaiting` more; beyond, it refuses at once; every one taken is answered", async () => {
    const c = checker(2);
    const taken = [c.check("a", hash), c.check("b", hash), c.check("right horse", hash)].map(
      (p) => p ?? Promise.reject(new Error("refused")),
    );
    expect(c.hasRoom).toBe(false);
    expect(c.check("c", hash)).toBeUndefined();
    expect((await Promise.all(taken)).map((r) => r.ok)).toEqual([false, false, true]);
    expect(c.hasRoom).toBe(true);
  });

  it("fails what waits when closed", async () => {
    const c = checker();
    const pending = [c.check("a", hash), c.check("b", hash)];
    c.close();
    for (const p of pending) await expect(p).rejects.toThrow(/closed/);
  });

  it("a thread that cannot start fails its checks and says so, and the next check starts one again", async () => {
    const failures: Error[] = [];
    const broken = new PasswordChecker(join(ROOT, "dist", "no-such-worker.js"), {
      maxWaiting: 1,
      idleMs: 60_000,
      onFailure: (e) => failures.push(e),
    });
    checkers.push(broken);
    await expect(broken.check("a", hash)).rejects.toThrow();
    await expect(broken.check("a", hash)).rejects.toThrow();
    expect(failures).toHaveLength(2);
    expect(failures[0]!.message).toMatch(/no-such-worker/);
  });
});
