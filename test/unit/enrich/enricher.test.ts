import { describe, expect, it } from "vitest";
import { JOB_CONTEXT } from "../../helpers/job-context.js";
import { resolveConfig } from "../../../src/config/config.js";
import { createEnricher } from "../../../src/enrich/enricher.js";
import type { JobContext } from "../../../src/messages/job-context.js";
import type { Observation } from "../../../src/observation.js";
import type { FinishedJob } from "../../../src/runner/state.js";

const ctx = JOB_CONTEXT;

/** An enricher configured from these variables, and what it told the collectors. */
function enricherWith(env: Record<string, string>) {
  const config = resolveConfig({}, { RUNNER_HOME: "/", ...env }, []);
  const seen: Observation[] = [];
  const enricher = createEnricher(
    { ...config, userAgent: "test" },
    (o) => seen.push(o),
    () => undefined,
  );
  const finish = (context: JobContext | undefined, status: FinishedJob["status"] = "success") =>
    enricher.take({ type: "job-finished", name: "a job", status, durationSeconds: 1, finishedAtEpochSeconds: 1000, phases: {}, context });
  const of = (type: Observation["type"]) => seen.filter((o) => o.type === type);
  return { finish, of };
}

describe("the enricher's deploy classification", () => {
  it("tells the collectors, for every job with a context, whether DEPLOY_PATTERN made it a deploy", () => {
    const e = enricherWith({ DEPLOY_PATTERN: "deploy" });
    e.finish({ ...ctx, workflow: "Deploy to prod" });
    e.finish({ ...ctx, job: "lint" });
    e.finish({ ...ctx, environment: "production-deploy" }, "failed");
    e.finish(undefined);
    expect(e.of("deploy-classified")).toEqual([
      { type: "deploy-classified", matched: true },
      { type: "deploy-classified", matched: false },
      { type: "deploy-classified", matched: true },
    ]);
    expect(e.of("deploy-finished").map((o) => (o as { status: string }).status)).toEqual(["success", "failed"]);
  });

  it("an anchored pattern matches whole values only", () => {
    const e = enricherWith({ DEPLOY_PATTERN: "^deploy$" });
    e.finish({ ...ctx, workflow: "Deploy to prod" });
    e.finish({ ...ctx, job: "Deploy" });
    expect(e.of("deploy-classified")).toEqual([
      { type: "deploy-classified", matched: false },
      { type: "deploy-classified", matched: true },
    ]);
  });

  it("classifies nothing without a pattern", () => {
    const e = enricherWith({});
    e.finish({ ...ctx, workflow: "Deploy" });
    expect(e.of("deploy-classified")).toEqual([]);
    expect(e.of("deploy-finished")).toEqual([]);
  });
});
