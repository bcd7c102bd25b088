import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { contextFromEnvironment, readEventFacts } from "../../../src/in-job/job-environment.js";
import { removeTempDirs, tempDir } from "../../helpers/index.js";

afterEach(() => removeTempDirs());

describe("the job's context from a hook's environment", () => {
  it("reads the GITHUB_* variables, the pushed commit's time and nothing else from the payload", () => {
    const dir = tempDir();
    const event = join(dir, "event.json");
    writeFileSync(
      event,
      JSON.stringify({ head_commit: { id: "abc", timestamp: "2026-11-25T10:00:00+01:00", message: "x" }, commits: [{}] }),
    );
    const c = contextFromEnvironment({
      GITHUB_RUN_ID: "99",
      GITHUB_RUN_ATTEMPT: "3",
      GITHUB_REPOSITORY: "acme/shop",
      GITHUB_WORKFLOW: "Deploy",
      GITHUB_JOB: "deploy",
      GITHUB_EVENT_NAME: "push",
      GITHUB_EVENT_PATH: event,
      GITHUB_SHA: "0123",
      RUNNER_NAME: "reg",
    });
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
