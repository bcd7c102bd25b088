import { describe, expect, it } from "vitest";
import { JOB_CONTEXT } from "../../helpers/job-context.js";
import { isDeploy, leadTimeSeconds, RecoveryClock } from "../../../src/enrich/deploys.js";
import { resolveConfig } from "../../../src/config/config.js";
import { createEnricher } from "../../../src/enrich/enricher.js";
import type { Observation } from "../../../src/observation.js";
import type { JobStatus } from "../../../src/runner/jobs.js";
import type { FinishedJob } from "../../../src/runner/state.js";

const ctx = JOB_CONTEXT;

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
    let now = 0;
    const clock = new RecoveryClock({ monotonicMs: () => now });
    const at = (seconds: number) => ((now = seconds * 1000), clock);
    expect(at(100).finished(ctx, "success")).toBeUndefined();
    expect(at(200).finished(ctx, "failed")).toBeUndefined();
    expect(at(250).finished({ ...ctx, workflow: "Other" }, "success")).toBeUndefined();
    expect(at(300).finished(ctx, "failed")).toBeUndefined();
    expect(at(350).finished(ctx, "cancelled")).toBeUndefined();
    expect(at(500).finished(ctx, "success")).toBe(300);
    expect(at(600).finished(ctx, "success")).toBeUndefined();
  });

  it("takes recovery time from the monotonic clock: a wall-clock step of 2 h between the deploys is not recovery time", () => {
    let mono = 5_000;
    let epoch = Date.UTC(2026, 11, 7);
    const observations: Observation[] = [];
    const enricher = createEnricher(
      { ...resolveConfig({}, { RUNNER_HOME: "/", DEPLOY_PATTERN: "CI" }, []), userAgent: "test" },
      (o) => observations.push(o),
      () => undefined,
      { monotonicMs: () => mono, epochMs: () => epoch },
    );
    const finished = (status: JobStatus): FinishedJob => ({
      type: "job-finished",
      name: "build",
      status,
      durationSeconds: 1,
      finishedAtEpochSeconds: epoch / 1000,
      context: ctx,
      phases: {},
    });
    enricher.take(finished("failed"));
    mono += 400;
    epoch += 7_200_000 + 400;
    enricher.take(finished("success"));
    const deploys = observations.flatMap((o) => (o.type === "deploy-finished" ? [o.recoverySeconds] : []));
    expect(deploys).toEqual([undefined, 0.4]);
  });

  it("measures lead time from the commit to the deploy's end, and only forwards in time", () => {
    expect(leadTimeSeconds({ ...ctx, commitEpochSeconds: 1000 }, 1600)).toBe(600);
    expect(leadTimeSeconds({ ...ctx, commitEpochSeconds: 2000 }, 1600)).toBeUndefined();
    expect(leadTimeSeconds(ctx, 1600)).toBeUndefined();
  });
});
