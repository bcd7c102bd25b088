import { describe, expect, it } from "vitest";
import { JOB_CONTEXT } from "../../helpers/job-context.js";
import { decodeMessage } from "../../../src/messages/message.js";

const ctx = JOB_CONTEXT;

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
