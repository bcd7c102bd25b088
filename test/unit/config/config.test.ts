import { chmodSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { ConfigError, resolveConfig } from "../../../src/config/config.js";
import { FIXTURES, startSupervisor } from "../../helpers/index.js";

const dir = mkdtempSync(join(tmpdir(), "ctx-options-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const base = { RUNNER_HOME: FIXTURES };
const resolve = (env: Record<string, string>, flags = {}) => resolveConfig(flags, { ...base, ...env }, []);

describe("job-context options", () => {
  it("has safe defaults: hooks on, no token, no labels, no deploy metrics, no linger, no push", () => {
    const c = resolve({});
    expect(c.jobHooks).toBe(true);
    expect(c.githubApiToken).toBe("");
    expect(c.githubApiUrl).toBe("https://api.github.com");
    expect(c.jobLabels).toEqual([]);
    expect(c.deployPattern).toBeUndefined();
    expect(c.metricsLinger).toBe(0);
    expect(c.pushgatewayUrl).toBe("");
    expect(c.cacheTypes).toContain("buildkit");
  });

  it("parses each option", () => {
    const c = resolve({
      JOB_HOOKS_ENABLED: "false",
      GITHUB_API_URL: "https://ghe.example.com/api/v3/",
      JOB_LABELS: "workflow,repository",
      DEPLOY_PATTERN: "deploy|Release",
      CACHE_TYPES: "npm, apt",
      METRICS_LINGER: "30",
      PUSHGATEWAY_URL: "http://pushgateway:9091",
      LABEL_VALUES_MAX: "5",
    });
    expect(c.jobHooks).toBe(false);
    expect(c.githubApiUrl).toBe("https://ghe.example.com/api/v3");
    expect(c.jobLabels).toEqual(["repository", "workflow"]);
    expect(c.deployPattern!.test("deploy")).toBe(true);
    expect(c.deployPattern!.test("Release")).toBe(true);
    expect(c.cacheTypes).toEqual(["npm", "apt"]);
    expect(c.metricsLinger).toBe(30);
    expect(c.pushgatewayUrl).toBe("http://pushgateway:9091");
    expect(c.labelValuesMax).toBe(5);
  });

  it("finds DEPLOY_PATTERN anywhere in a value, ignoring case, unless the user anchors it", () => {
    const deploy = (pattern: string) => resolve({ DEPLOY_PATTERN: pattern }).deployPattern!;
    const found = (pattern: string, values: string[]) => values.filter((v) => deploy(pattern).test(v));
    const values = ["Deploy to prod", "deploy", "DEPLOY", "predeploy", "deployment", "CI", "Release"];
    expect(found("deploy", values)).toEqual(["Deploy to prod", "deploy", "DEPLOY", "predeploy", "deployment"]);
    // The user's regex as written: ^ and $ anchor where they stand, and case is still ignored.
    expect(found("^deploy", values)).toEqual(["Deploy to prod", "deploy", "DEPLOY", "deployment"]);
    expect(found("^deploy$", values)).toEqual(["deploy", "DEPLOY"]);
    expect(found("deploy$", values)).toEqual(["deploy", "DEPLOY", "predeploy"]);
    expect(found("^deploy$|release", values)).toEqual(["deploy", "DEPLOY", "Release"]);
    // Case is ignored by lower-casing text and pattern, but not an escape's letter: \D is still a non-digit.
    expect(found("^[A-D]EPLOY\\D", ["deploy to prod", "DEPLOY2", "Deploy-x"])).toEqual(["deploy to prod", "Deploy-x"]);
    expect(found("(?<Env>PROD)$", ["to prod", "To Prod", "prod-eu"])).toEqual(["to prod", "To Prod"]);
    // Asked twice, the same answer: the pattern keeps no state between values.
    expect([deploy("deploy").test("deploy"), deploy("deploy").test("deploy")]).toEqual([true, true]);
  });

  it("matches the label allowlists against the whole value, case as written", () => {
    const c = resolve({ REPOSITORY_LABEL_PATTERN: "acme/.*", WORKFLOW_LABEL_PATTERN: "Deploy.*" });
    expect(["acme/shop", "evil/acme/shop", "ACME/shop"].filter((v) => c.repositoryLabelPattern!.test(v))).toEqual(["acme/shop"]);
    expect(["Deploy to prod", "Nightly deploy", "deploy to prod", "Deploy"].filter((v) => c.workflowLabelPattern!.test(v))).toEqual([
      "Deploy to prod",
      "Deploy",
    ]);
    // An alternation stays inside the anchors: neither side can match part of a value.
    const either = resolve({ WORKFLOW_LABEL_PATTERN: "CI|Deploy" }).workflowLabelPattern!;
    expect(["CI", "Deploy", "CI nightly", "Deploy docs"].filter((v) => either.test(v))).toEqual(["CI", "Deploy"]);
  });

  it("runs a pattern that would backtrack catastrophically in linear time, with the same answers", () => {
    // (a+)+$ takes seconds on 27 a's and a ! in a backtracking engine; 256 characters would take years.
    const c = resolve({ DEPLOY_PATTERN: "(a+)+$", WORKFLOW_LABEL_PATTERN: "(a+)+" });
    const hostile = `${"a".repeat(255)}!`;
    const started = process.hrtime.bigint();
    for (let i = 0; i < 100; i++) {
      expect(c.deployPattern!.test(hostile)).toBe(false);
      expect(c.workflowLabelPattern!.test(hostile)).toBe(false);
    }
    // 200 matches of the longest accepted name: milliseconds; the bound is far above noise, far below a backtracking engine.
    expect(Number(process.hrtime.bigint() - started) / 1e6).toBeLessThan(1000);
    expect([c.deployPattern!.test("aaa"), c.workflowLabelPattern!.test("aaa")]).toEqual([true, true]);
  });

  it("reads the token from a file, which wins over the variable", () => {
    const file = join(dir, "token");
    writeFileSync(file, "ghp_fromfile\n");
    expect(resolve({ GITHUB_API_TOKEN: "ghp_fromenv", GITHUB_API_TOKEN_FILE: file }).githubApiToken).toBe("ghp_fromfile");
    expect(resolve({ GITHUB_API_TOKEN: "ghp_fromenv" }).githubApiToken).toBe("ghp_fromenv");
  });

  it.each([
    [{ JOB_LABELS: "repository,sha" }, /JOB_LABELS="repository,sha": expected a comma-separated list of repository and workflow/],
    [
      { DEPLOY_PATTERN: "deploy(" },
      /DEPLOY_PATTERN="deploy\(": expected a regular expression of at most 512 characters that runs in linear time: .*, found anywhere in the value ignoring case; anchor it with \^ and \$ \(empty: none\); this one does not compile: Unterminated group$/,
    ],
    // Not valid alone, though "^(?:a)|(b)$" would compile: it would stop matching whole values.
    [{ REPOSITORY_LABEL_PATTERN: "a)|(b" }, /REPOSITORY_LABEL_PATTERN="a\)\|\(b": expected a regular expression/],
    [
      { WORKFLOW_LABEL_PATTERN: "[" },
      /WORKFLOW_LABEL_PATTERN="\[": expected a regular expression of at most 512 characters that runs in linear time: .*, matched against the whole value, case-sensitively \(empty: any\)$/,
    ],
    // Patterns that need backtracking or the u flag: refused at start-up rather than run on workflow authors' text.
    [
      { DEPLOY_PATTERN: "(deploy)\\1" },
      /DEPLOY_PATTERN="\(deploy\)\\\\1": expected a regular expression of at most 512 characters that runs in linear time: no backreferences, lookahead/,
    ],
    [{ DEPLOY_PATTERN: "deploy(?!ment)" }, /DEPLOY_PATTERN=.*: expected a regular expression .* that runs in linear time/],
    [{ WORKFLOW_LABEL_PATTERN: "x{1,100}" }, /WORKFLOW_LABEL_PATTERN=.*: expected a regular expression .* that runs in linear time/],
    [{ WORKFLOW_LABEL_PATTERN: "\\p{L}+" }, /WORKFLOW_LABEL_PATTERN=.*: expected a regular expression .* that runs in linear time/],
    [
      { REPOSITORY_LABEL_PATTERN: "acme/\\u{61}" },
      /REPOSITORY_LABEL_PATTERN=.*: expected a regular expression .* that runs in linear time/,
    ],
    [{ GITHUB_API_URL: "ftp://x" }, /GITHUB_API_URL/],
    [{ GITHUB_API_URL: "https://user:pw@x" }, /GITHUB_API_URL/],
    [{ GITHUB_API_TIMEOUT: "0" }, /GITHUB_API_TIMEOUT/],
    [{ CACHE_TYPES: "npm,Other Thing" }, /CACHE_TYPES/],
    [{ CACHE_TYPES: "npm,other" }, /CACHE_TYPES/],
    [{ METRICS_LINGER: "99999" }, /METRICS_LINGER/],
    [{ LABEL_VALUES_MAX: "0" }, /LABEL_VALUES_MAX/],
    [{ GITHUB_API_TOKEN_FILE: "/nonexistent/token" }, /GITHUB_API_TOKEN_FILE="\/nonexistent\/token": cannot read it \(ENOENT\)/],
  ])("rejects %o with a message that names it", (env, message) => {
    expect(() => resolve(env as Record<string, string>)).toThrow(ConfigError);
    expect(() => resolve(env as Record<string, string>)).toThrow(message);
  });

  it("rejects an empty token file", () => {
    const file = join(dir, "empty");
    writeFileSync(file, "\n");
    chmodSync(file, 0o600);
    expect(() => resolve({ GITHUB_API_TOKEN_FILE: file })).toThrow(/one token/);
  });

  it("stops the built supervisor with 78 before anything runs", async () => {
    const r = startSupervisor({ env: { DEPLOY_PATTERN: "(" } });
    expect((await r.exit).code).toBe(78);
    expect(r.stderr()).toMatch(/^runner-supervisor: invalid DEPLOY_PATTERN="\(": expected a regular expression/m);
    expect(r.stdout().length).toBe(0);
  });
});
