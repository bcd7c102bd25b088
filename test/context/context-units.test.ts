import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readlinkSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { openChannel, type Channel } from "../../src/context/channel.js";
import { sweepStaleHookDirs } from "../../src/context/hook-scripts.js";
import { writeOwnerRecord } from "../../src/context/owner-record.js";
import { sendMessage } from "../../src/context/client.js";
import { contextFromEnvironment, parseReportArgs, readEventFacts } from "../../src/context/commands.js";
import { isDeploy, leadTimeSeconds, RecoveryClock } from "../../src/context/deploys.js";
import { LabelPolicy } from "../../src/context/label-policy.js";
import { decodeMessage, MAX_MESSAGE_BYTES, type ChannelMessage, type JobContext } from "../../src/context/messages.js";

const ctx: JobContext = { runId: "1", runAttempt: 1, repository: "acme/shop", workflow: "CI", job: "build", eventName: "push", runnerName: "r" };

const dirs: string[] = [];
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), "ctx-test-"));
  dirs.push(dir);
  return dir;
}
let channel: Channel | undefined;
afterEach(async () => {
  await channel?.close();
  channel = undefined;
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe("channel messages", () => {
  it("accepts a hook context and keeps only the known, bounded fields", () => {
    const m = decodeMessage({ kind: "hook", hook: "job-started", context: { ...ctx, sha: "abc", ref: "refs/heads/x", extra: { a: 1 } } });
    expect(m).toEqual({ kind: "hook", hook: "job-started", context: ctx });
  });

  it("rejects missing, oversized or malformed fields", () => {
    expect(decodeMessage({ kind: "hook", hook: "job-started", context: { ...ctx, runId: "12a" } })).toBeUndefined();
    expect(decodeMessage({ kind: "hook", hook: "job-started", context: { ...ctx, repository: "no-slash" } })).toBeUndefined();
    expect(decodeMessage({ kind: "hook", hook: "job-started", context: { ...ctx, workflow: "x".repeat(257) } })).toBeUndefined();
    expect(decodeMessage({ kind: "hook", hook: "job-started", context: { ...ctx, workflow: "a\nb" } })).toBeUndefined();
    expect(decodeMessage({ kind: "hook", hook: "job-exploded", context: ctx })).toBeUndefined();
    expect(decodeMessage({ kind: "cache", cacheType: "NPM", hits: 1, misses: 0 })).toBeUndefined();
    expect(decodeMessage({ kind: "cache", cacheType: "npm", hits: -1, misses: 0 })).toBeUndefined();
    expect(decodeMessage({ kind: "cache", cacheType: "npm", hits: 0, misses: 0 })).toBeUndefined();
    expect(decodeMessage(null)).toBeUndefined();
  });
});

describe("report cache arguments", () => {
  it("takes --hit, --miss, --result (actions/cache's cache-hit output) and counts", () => {
    expect(parseReportArgs(["cache", "--type", "npm", "--hit"])).toEqual({ kind: "cache", cacheType: "npm", hits: 1, misses: 0 });
    expect(parseReportArgs(["cache", "--type=apt", "--miss"])).toEqual({ kind: "cache", cacheType: "apt", hits: 0, misses: 1 });
    expect(parseReportArgs(["cache", "--type", "npm", "--result", "true"])).toEqual({ kind: "cache", cacheType: "npm", hits: 1, misses: 0 });
    expect(parseReportArgs(["cache", "--type", "npm", "--result", ""])).toEqual({ kind: "cache", cacheType: "npm", hits: 0, misses: 1 });
    expect(parseReportArgs(["cache", "--type", "npm", "--result", "false"])).toEqual({ kind: "cache", cacheType: "npm", hits: 0, misses: 1 });
    expect(parseReportArgs(["cache", "--type", "buildkit", "--hits", "7", "--misses", "2"])).toEqual({ kind: "cache", cacheType: "buildkit", hits: 7, misses: 2 });
  });

  it("explains what is wrong instead of sending", () => {
    expect(parseReportArgs(["cache", "--hit"])).toMatch(/--type/);
    expect(parseReportArgs(["cache", "--type", "npm"])).toMatch(/--hit/);
    expect(parseReportArgs(["cache", "--type", "npm", "--hits", "x"])).toMatch(/--hits/);
    expect(parseReportArgs(["cache", "--type", "npm", "--bogus"])).toMatch(/unknown argument/);
    expect(parseReportArgs(["cash"])).toMatch(/report cache/);
  });
});

describe("the job's context from a hook's environment", () => {
  it("reads the GITHUB_* variables, the pushed commit's time and nothing else from the payload", () => {
    const dir = tempDir();
    const event = join(dir, "event.json");
    writeFileSync(event, JSON.stringify({ head_commit: { id: "abc", timestamp: "2026-11-25T10:00:00+01:00", message: "x" }, commits: [{}] }));
    const c = contextFromEnvironment(
      {
        GITHUB_RUN_ID: "99",
        GITHUB_RUN_ATTEMPT: "3",
        GITHUB_REPOSITORY: "acme/shop",
        GITHUB_WORKFLOW: "Deploy",
        GITHUB_JOB: "deploy",
        GITHUB_EVENT_NAME: "push",
        GITHUB_EVENT_PATH: event,
        GITHUB_SHA: "0123",
        RUNNER_NAME: "reg",
      },
    );
    expect(c).toEqual({
      runId: "99",
      runAttempt: 3,
      repository: "acme/shop",
      workflow: "Deploy",
      job: "deploy",
      eventName: "push",
      runnerName: "reg",
      commitEpochSeconds: Date.parse("2026-11-25T09:00:00Z") / 1000,
    });
  });

  it("takes a workflow_run's head commit and a deployment's environment; ignores broken or huge payloads", () => {
    const dir = tempDir();
    const wr = join(dir, "wr.json");
    writeFileSync(wr, JSON.stringify({ workflow_run: { head_commit: { timestamp: "2026-11-25T08:00:00Z" } } }));
    expect(readEventFacts(wr)).toEqual({ commitEpochSeconds: Date.parse("2026-11-25T08:00:00Z") / 1000 });
    const dep = join(dir, "dep.json");
    writeFileSync(dep, JSON.stringify({ deployment: { environment: "production" } }));
    expect(readEventFacts(dep)).toEqual({ environment: "production" });
    const broken = join(dir, "broken.json");
    writeFileSync(broken, "{ not json");
    expect(readEventFacts(broken)).toEqual({});
    const huge = join(dir, "huge.json");
    writeFileSync(huge, `{"head_commit":{"timestamp":"2026-11-25T08:00:00Z"},"pad":"${"x".repeat(5 * 1024 * 1024)}"}`);
    expect(readEventFacts(huge)).toEqual({});
    expect(readEventFacts(join(dir, "missing.json"))).toEqual({});
  });
});

describe("label policy", () => {
  it("keeps allowed values up to the cap, then says other; unknown without context", () => {
    const policy = new LabelPolicy({ names: ["repository", "workflow"], patterns: { repository: /^(?:acme\/.*)$/u }, maxValues: 2 });
    expect(policy.labelsFor(undefined)).toEqual({ repository: "unknown", workflow: "unknown" });
    expect(policy.labelsFor(ctx)).toEqual({ repository: "acme/shop", workflow: "CI" });
    expect(policy.labelsFor({ ...ctx, repository: "evil/x", workflow: "Deploy" })).toEqual({ repository: "other", workflow: "Deploy" });
    expect(policy.labelsFor({ ...ctx, repository: "acme/web", workflow: "Nightly" })).toEqual({ repository: "acme/web", workflow: "other" });
    expect(policy.labelsFor({ ...ctx, repository: "acme/third" })).toEqual({ repository: "other", workflow: "CI" });
    expect(policy.labelsFor(ctx)).toEqual({ repository: "acme/shop", workflow: "CI" });
  });

  it("adds nothing when no label is turned on", () => {
    expect(new LabelPolicy({ names: [], patterns: {}, maxValues: 20 }).labelsFor(ctx)).toEqual({});
  });
});

describe("deploys", () => {
  it("classifies by workflow name, job key or environment", () => {
    const pattern = /^(?:deploy.*|Release)$/u;
    expect(isDeploy({ ...ctx, job: "deploy-prod" }, pattern)).toBe(true);
    expect(isDeploy({ ...ctx, workflow: "Release" }, pattern)).toBe(true);
    expect(isDeploy({ ...ctx, environment: "deploy-eu" }, pattern)).toBe(true);
    expect(isDeploy(ctx, pattern)).toBe(false);
    expect(isDeploy(undefined, pattern)).toBe(false);
    expect(isDeploy({ ...ctx, job: "deploy" }, undefined)).toBe(false);
  });

  it("measures recovery from the first failure of a streak to the next success of the same repository and workflow", () => {
    const clock = new RecoveryClock();
    expect(clock.finished(ctx, "success", 100)).toBeUndefined();
    expect(clock.finished(ctx, "failed", 200)).toBeUndefined();
    expect(clock.finished({ ...ctx, workflow: "Other" }, "success", 250)).toBeUndefined();
    expect(clock.finished(ctx, "failed", 300)).toBeUndefined();
    expect(clock.finished(ctx, "cancelled", 350)).toBeUndefined();
    expect(clock.finished(ctx, "success", 500)).toBe(300);
    expect(clock.finished(ctx, "success", 600)).toBeUndefined();
  });

  it("measures lead time from the commit to the deploy's end, and only forwards in time", () => {
    expect(leadTimeSeconds({ ...ctx, commitEpochSeconds: 1000 }, 1600)).toBe(600);
    expect(leadTimeSeconds({ ...ctx, commitEpochSeconds: 2000 }, 1600)).toBeUndefined();
    expect(leadTimeSeconds(ctx, 1600)).toBeUndefined();
  });
});

describe("the local channel (a real Unix socket)", () => {
  it("delivers a message and answers ok; rejects garbage and oversized messages", async () => {
    const got: ChannelMessage[] = [];
    let rejected = 0;
    channel = await openChannel(tempDir(), (m) => got.push(m), () => rejected++);
    const cache: ChannelMessage = { kind: "cache", cacheType: "npm", hits: 2, misses: 1 };
    expect(await sendMessage(channel.socketPath, cache, 2000)).toBe(true);
    expect(got).toEqual([cache]);
    expect(await sendMessage(channel.socketPath, { kind: "cache", cacheType: "npm", hits: 0, misses: 0 }, 2000)).toBe(false);
    const answer = await rawSend(channel.socketPath, `${"x".repeat(MAX_MESSAGE_BYTES + 10)}\n`);
    expect(answer).not.toContain("ok");
    expect(rejected).toBe(2);
    expect(got).toHaveLength(1);
  });

  it("the client gives up on an unreachable socket without throwing", async () => {
    expect(await sendMessage(join(tempDir(), "none.sock"), { kind: "cache", cacheType: "npm", hits: 1, misses: 0 }, 500)).toBe(false);
  });
});

function rawSend(path: string, text: string): Promise<string> {
  return new Promise((resolve) => {
    let answer = "";
    const socket = connect(path, () => socket.write(text));
    socket.setEncoding("utf8");
    socket.on("data", (c: string) => (answer += c));
    socket.on("error", () => resolve(answer));
    socket.on("close", () => resolve(answer));
  });
}

describe("cleaning up after killed supervisors", () => {
  const record = (dir: string, owner: { pid: number; start: string; pidNamespace?: string; bootId?: string }) =>
    writeFileSync(
      join(dir, "owner"),
      JSON.stringify({ pidNamespace: readlinkSync("/proc/self/ns/pid"), bootId: readFileSync("/proc/sys/kernel/random/boot_id", "utf8").trim(), ...owner }),
    );

  it("removes only directories whose owner is gone for sure, and never connects to a live supervisor's socket", async () => {
    const base = tempDir();
    const dirs = Object.fromEntries(["dead", "reused", "live", "foreign", "unrecorded", "young"].map((n) => [n, join(base, `runner-supervisor-${n}`)]));
    const other = join(base, "something-else");
    for (const d of [...Object.values(dirs), other]) mkdirSync(d);
    const exited = spawnSync("true");
    record(dirs.dead!, { pid: exited.pid!, start: "1" });
    record(dirs.reused!, { pid: process.pid, start: "1" });
    writeOwnerRecord(dirs.live!);
    writeOwnerRecord(dirs.young!);
    record(dirs.foreign!, { pid: exited.pid!, start: "1", pidNamespace: "pid:[1]" });
    // A live channel in the live directory: the sweep must not reach it (it would count a rejected message).
    let rejected = 0;
    channel = await openChannel(dirs.live!, () => undefined, () => rejected++);
    const old = new Date(Date.now() - 120_000);
    for (const [name, dir] of Object.entries(dirs)) if (name !== "young") utimesSync(dir, old, old);

    expect(sweepStaleHookDirs(base, 60_000)).toBe(2);
    expect(existsSync(dirs.dead!)).toBe(false);
    expect(existsSync(dirs.reused!)).toBe(false);
    for (const kept of ["live", "foreign", "unrecorded", "young"]) expect(existsSync(dirs[kept]!), kept).toBe(true);
    expect(existsSync(other)).toBe(true);
    await new Promise((r) => setTimeout(r, 100));
    expect(rejected).toBe(0);
  });
});
