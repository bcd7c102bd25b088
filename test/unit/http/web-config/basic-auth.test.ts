import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { BasicAuth, basicCredentials, CredentialCache } from "../../../../src/http/web-config/basic-auth.js";
import { PasswordChecker } from "../../../../src/http/web-config/password-checker.js";
import { NetworkBudget } from "../../../../src/http/web-config/budgets.js";
import { bcryptHash, PASSWORD_WORKER as WORKER } from "../../../helpers/index.js";

const net = { network: "10.0.0.0/24" };
const header = (user: string, password: string) => `Basic ${Buffer.from(`${user}:${password}`).toString("base64")}`;

describe("basicCredentials: the Authorization header as Go's Request.BasicAuth reads it", () => {
  it("reads user and password; the password may hold colons; the scheme is case-insensitive", () => {
    expect(basicCredentials(header("alice", "a:b:c"))).toEqual({ user: "alice", password: "a:b:c" });
    expect(basicCredentials(`bAsIc ${Buffer.from("bob:").toString("base64")}`)).toEqual({ user: "bob", password: "" });
    expect(basicCredentials(header("ü", "pässword"))).toEqual({ user: "ü", password: "pässword" });
  });

  it.each([
    undefined,
    "",
    "Basic",
    "Bearer abc",
    `Basic ${Buffer.from("no colon").toString("base64")}`,
    "Basic !!!!",
    "Basic YWxpY2U6eA",
    "Basic  YWxpY2U6eA==",
  ])("%j has none", (value) => {
    expect(basicCredentials(value)).toBeUndefined();
  });
});

describe("BasicAuth", () => {
  let alice: string;
  let bob: string;
  beforeAll(() => {
    alice = bcryptHash("alice's password", 4);
    bob = bcryptHash("bob's password", 5);
  });
  const checkers: PasswordChecker[] = [];
  afterEach(() => {
    for (const c of checkers.splice(0)) c.close();
  });

  /** BasicAuth over the real checker thread, with a budget of `checks` cost-10 units that never refills (a check at cost 5, the file's highest, is 1/32). */
  function auth(
    checks: number,
    users = new Map([
      ["alice", alice],
      ["bob", bob],
    ]),
  ): BasicAuth {
    const checker = new PasswordChecker(WORKER, { maxWaiting: 4, idleMs: 60_000 });
    checkers.push(checker);
    const budget = new NetworkBudget({ perSecond: 0, burst: checks, perNetworkPerSecond: 0, perNetworkBurst: checks, reserve: 0 }, () => 0);
    return new BasicAuth(users, new CredentialCache(), budget, checker);
  }

  it("lets the right password in; once checked it is let in from the cache, without spending the budget", async () => {
    const a = auth(1 / 32); // one check
    expect(await a.verify(header("alice", "alice's password"), net)).toBe("ok");
    for (let i = 0; i < 3; i++) expect(await a.verify(header("alice", "alice's password"), net)).toBe("ok");
    expect(await a.verify(header("alice", "another"), net)).toBe("busy");
  });

  it("a wrong password, an unknown user, no header: denied; the first two each cost a check", async () => {
    const a = auth(2 / 32);
    expect(await a.verify(undefined, net)).toBe("denied");
    expect(await a.verify("Bearer x", net)).toBe("denied");
    expect(await a.verify(header("alice", "guess"), net)).toBe("denied");
    expect(await a.verify(header("mallory", "guess"), net)).toBe("denied");
    expect(await a.verify(header("alice", "alice's password"), net)).toBe("busy");
  });

  it("every check is charged as one at the file's highest cost, whoever the user (the budget tells nothing of who exists)", async () => {
    const a = auth(3 / 64);
    expect(await a.verify(header("alice", "guess"), net)).toBe("denied");
    expect(await a.verify(header("alice", "alice's password"), net)).toBe("busy");
  });

  it("the same credentials asked for at once are checked once", async () => {
    const a = auth(1 / 32);
    const answers = await Promise.all([1, 2, 3].map(() => a.verify(header("alice", "alice's password"), net)));
    expect(answers).toEqual(["ok", "ok", "ok"]);
  });

  it("a checker that fails makes the answer unavailable, not a yes", async () => {
    const checker = new PasswordChecker("/nonexistent/worker.js", { maxWaiting: 1, idleMs: 60_000 });
    checkers.push(checker);
    const budget = new NetworkBudget({ perSecond: 0, burst: 1, perNetworkPerSecond: 0, perNetworkBurst: 1, reserve: 0 }, () => 0);
    const a = new BasicAuth(new Map([["alice", alice]]), new CredentialCache(), budget, checker);
    expect(await a.verify(header("alice", "alice's password"), net)).toBe("unavailable");
  });
});

describe("CredentialCache", () => {
  it("keys by user, stored hash and password, never holding the password; keeps the most recently used", () => {
    const cache = new CredentialCache(2);
    const k1 = cache.keyOf("alice", "h", "pw");
    expect(k1).not.toContain("pw");
    expect(cache.keyOf("alice", "h", "pw")).toBe(k1);
    expect(cache.keyOf("alice", "h2", "pw")).not.toBe(k1);
    expect(cache.keyOf("alic", "eh", "pw")).not.toBe(k1);
    const [k2, k3] = [cache.keyOf("b", "h", "pw"), cache.keyOf("c", "h", "pw")];
    cache.add(k1);
    cache.add(k2);
    expect(cache.has(k1)).toBe(true);
    cache.add(k3);
    expect([cache.has(k1), cache.has(k2), cache.has(k3)]).toEqual([true, false, true]);
  });
});
