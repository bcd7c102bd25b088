import { describe, expect, it } from "vitest";
import { isDeploy, leadTimeSeconds, RecoveryClock } from "../../../src/enrich/deploys.js";
import type { JobContext } from "../../../src/messages/job-context.js";

const ctx: JobContext = { runId: "1", runAttempt: 1, repository: "acme/shop", workflow: "CI", job: "build", eventName: "push", runnerName: "r" };

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
