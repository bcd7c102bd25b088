import { describe, expect, it } from "vitest";
import { parseLine } from "../../../src/runner/parse.js";

const TS = "2026-11-25 10:01:02Z";

describe("parseLine: every console format of the runner", () => {
  it.each([
    ["√ Connected to GitHub", { type: "connected" }],
    ["âˆš Connected to GitHub", { type: "connected" }],
    ["Connected to GitHub", { type: "connected" }],
    ["Current runner version: '2.336.0'", { type: "version", version: "2.336.0" }],
    [`${TS}: Listening for Jobs`, { type: "listening" }],
    [`${TS}: Running job: build`, { type: "job-started", name: "build" }],
    [`${TS}: Job build completed with result: Succeeded`, { type: "job-completed", name: "build", result: "Succeeded" }],
    [`${TS}: Runner reconnected.`, { type: "reconnected" }],
    [
      `${TS}: Runner connect error: The HTTP request timed out after 00:01:00.. Retrying until reconnected.`,
      { type: "connect-error", message: "The HTTP request timed out after 00:01:00." },
    ],
    ["A session for this runner already exists.", { type: "session-conflict" }],
    ["Failed to create session. Conflict", { type: "session-failed", message: "Conflict" }],
    ["The runner no longer exists on the server. Please reconfigure the runner.", { type: "runner-removed" }],
    ["An error occurred: Access denied", { type: "error", message: "Access denied" }],
    ["Runner update in progress, do not shutdown runner.", { type: "update-started" }],
    ["Runner update process finished.", { type: "update-finished" }],
    ["Runner update failed: disk full", { type: "update-failed", message: "disk full" }],
    ["Exiting...", { type: "exiting" }],
    ["^CExiting...", { type: "exiting" }],
    [
      "Runner listener exit with 0 return code, stop the service, no retry needed.",
      { type: "listener-exit", reason: "success", relaunch: false },
    ],
    [
      "Runner listener exit with terminated error, stop the service, no retry needed.",
      { type: "listener-exit", reason: "terminated", relaunch: false },
    ],
    [
      "Runner listener exit with retryable error, re-launch runner in 5 seconds.",
      { type: "listener-exit", reason: "retryable", relaunch: true },
    ],
    [
      "Runner listener exit because of updating, re-launch runner after successful update",
      { type: "listener-exit", reason: "updating", relaunch: true },
    ],
    [
      "Runner listener exit with Session Conflict error, stop the service, no retry needed.",
      { type: "listener-exit", reason: "session_conflict", relaunch: false },
    ],
    ["Runner listener exit with deprecated version exit code: 7.", { type: "listener-exit", reason: "deprecated", relaunch: false }],
    ["Exiting with unknown error code: 42", { type: "listener-exit", reason: "unknown_code", relaunch: false }],
  ])("%s", (line, event) => {
    expect(parseLine(line)).toEqual(event);
  });

  it.each([
    ["a line separator", "a\u2028b"],
    ["a paragraph separator", "a\u2029b"],
    ["a CR inside", "a\rb"],
    ["a trailing line separator", "deploy\u2028"],
    ["a trailing no-break space", "deploy\u00a0"],
    ["only separators", "\u2028\u2029"],
  ])("a job name with %s is read exactly as printed", (_what, name) => {
    expect(parseLine(`${TS}: Running job: ${name}`)).toEqual({ type: "job-started", name });
    expect(parseLine(`${TS}: Job ${name} completed with result: Failed\r`)).toEqual({ type: "job-completed", name, result: "Failed" });
  });

  it("a connect error message with a line separator is still a connect error", () => {
    expect(parseLine(`${TS}: Runner connect error: a\u2028b. Retrying until reconnected.`)).toEqual({
      type: "connect-error",
      message: "a\u2028b",
    });
  });

  it.each(["Succeeded", "SucceededWithIssues", "Failed", "Canceled", "Skipped", "Abandoned"])("result %s", (result) => {
    expect(parseLine(`${TS}: Job j completed with result: ${result}`)).toEqual({ type: "job-completed", name: "j", result });
  });

  it("ignores lines that only look like events", () => {
    for (const line of [
      "",
      "   ",
      `${TS}: Job build completed with result: Bogus`,
      `${TS}: Job build completed with result: Succeeded.`,
      "Running job: build",
      `x${TS}: Running job: build`,
      `  ${TS}: Running job: build`,
      "Current runner version: 2.336.0",
      "Downloading 2.337.0 runner",
      "Restarting runner...",
      "Exiting runner...",
      `{"name": "${TS}: Running job: evil"}`,
    ]) {
      expect(parseLine(line), line).toBeUndefined();
    }
  });
});

describe("parseLine: hazards", () => {
  it("never counts the WRITE LINE echo of ACTIONS_RUNNER_PRINT_LOG_TO_STDOUT", () => {
    for (const line of [
      `[RUNNER ${TS} INFO Terminal] WRITE LINE: ${TS}: Running job: build`,
      `[RUNNER ${TS} INFO Terminal] WRITE LINE: ${TS}: Job build completed with result: Succeeded`,
      `[RUNNER ${TS} INFO Terminal] WRITE LINE: ${TS}: Listening for Jobs`,
      `[RUNNER ${TS} INFO Terminal] WRITE LINE: Current runner version: '2.316.1'`,
      `[RUNNER ${TS} INFO Terminal] WRITE LINE: √ Connected to GitHub`,
      `[WORKER ${TS} INFO JobRunner] Job build completed with result: Failed`,
    ]) {
      expect(parseLine(line), line).toBeUndefined();
    }
  });

  it("ignores a trailing CR, trailing spaces and colour codes", () => {
    expect(parseLine(`${TS}: Job build completed with result: Failed\r`)).toMatchObject({ result: "Failed" });
    expect(parseLine(`${TS}: Job build completed with result: Failed   `)).toMatchObject({ result: "Failed" });
    expect(parseLine(`\x1b[32m${TS}: Running job: build\x1b[0m\r`)).toEqual({ type: "job-started", name: "build" });
    expect(parseLine(`\x1b[1;31m${TS}: Job build completed with result: \x1b[31mFailed\x1b[0m`)).toMatchObject({
      name: "build",
      result: "Failed",
    });
  });

  it.each([
    "python-tests (3.11)",
    "Deploy: production",
    "build (ubuntu-22.04, 20)",
    "ci / test / unit (3.12, --fast)",
    "e2e 🧪 (chromium) — ünïcödé",
    "Job build completed with result: Failed",
    "tricky completed with result: Failed",
    "a completed with result: Succeeded completed with result: Canceled",
    "Running job: nested",
  ])("reads the job name %j on both lines", (name) => {
    expect(parseLine(`${TS}: Running job: ${name}`)).toEqual({ type: "job-started", name });
    const completed = parseLine(`${TS}: Job ${name} completed with result: Skipped`);
    expect(completed).toEqual({ type: "job-completed", name, result: "Skipped" });
  });

  it("drops the trailing spaces of a name", () => {
    expect(parseLine(`${TS}: Running job: docs: check links   `)).toEqual({ type: "job-started", name: "docs: check links" });
    expect(parseLine(`${TS}: Job docs: check links    completed with result: Succeeded  `)).toEqual({
      type: "job-completed",
      name: "docs: check links",
      result: "Succeeded",
    });
  });

  it("takes the LAST result on a line whose name contains the phrase", () => {
    expect(parseLine(`${TS}: Job x completed with result: Failed completed with result: Succeeded`)).toEqual({
      type: "job-completed",
      name: "x completed with result: Failed",
      result: "Succeeded",
    });
  });

  it("survives the replacement character of invalid UTF-8 and very long lines", () => {
    expect(parseLine(`${TS}: Running job: bad \uFFFD\uFFFD bytes`)).toEqual({ type: "job-started", name: "bad \uFFFD\uFFFD bytes" });
    expect(parseLine("x".repeat(70_000))).toBeUndefined();
    expect(parseLine(`${TS}: Running job: ${"n".repeat(10_000)}`)).toMatchObject({ type: "job-started" });
  });
});
