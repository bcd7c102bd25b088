import { describe, expect, it } from "vitest";
import { JOB_CONTEXT } from "../../helpers/job-context.js";
import { LabelPolicy } from "../../../src/enrich/labels.js";

const ctx = JOB_CONTEXT;

describe("label policy", () => {
  it("keeps allowed values up to the cap, then says other; unknown without context", () => {
    const policy = new LabelPolicy({ names: ["repository", "workflow"], patterns: { repository: /^(?:acme\/.*)$/u }, maxValues: 2 });
    expect(policy.labelsFor(undefined)).toEqual({ repository: "unknown", workflow: "unknown" });
    expect(policy.labelsFor(ctx)).toEqual({ repository: "acme/shop", workflow: "CI" });
    expect(policy.labelsFor({ ...ctx, repository: "evil/x", workflow: "Deploy" })).toEqual({ repository: "other", workflow: "Deploy" });
    expect(policy.labelsFor({ ...ctx, repository: "acme/web", workflow: "Nightly" })).toEqual({
      repository: "acme/web",
      workflow: "other",
    });
    expect(policy.labelsFor({ ...ctx, repository: "acme/third" })).toEqual({ repository: "other", workflow: "CI" });
    expect(policy.labelsFor(ctx)).toEqual({ repository: "acme/shop", workflow: "CI" });
  });

  it("adds nothing when no label is turned on", () => {
    expect(new LabelPolicy({ names: [], patterns: {}, maxValues: 20 }).labelsFor(ctx)).toEqual({});
  });
});
