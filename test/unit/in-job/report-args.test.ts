import { describe, expect, it } from "vitest";
import { parseReportArgs } from "../../../src/in-job/report-args.js";

describe("report cache arguments", () => {
  it("takes --hit, --miss, --result (actions/cache's cache-hit output) and counts", () => {
    expect(parseReportArgs(["cache", "--type", "npm", "--hit"])).toEqual({ kind: "cache", cacheType: "npm", hits: 1, misses: 0 });
    expect(parseReportArgs(["cache", "--type=apt", "--miss"])).toEqual({ kind: "cache", cacheType: "apt", hits: 0, misses: 1 });
    expect(parseReportArgs(["cache", "--type", "npm", "--result", "true"])).toEqual({
      kind: "cache",
      cacheType: "npm",
      hits: 1,
      misses: 0,
    });
    expect(parseReportArgs(["cache", "--type", "npm", "--result", ""])).toEqual({ kind: "cache", cacheType: "npm", hits: 0, misses: 1 });
    expect(parseReportArgs(["cache", "--type", "npm", "--result", "false"])).toEqual({
      kind: "cache",
      cacheType: "npm",
      hits: 0,
      misses: 1,
    });
    expect(parseReportArgs(["cache", "--type", "buildkit", "--hits", "7", "--misses", "2"])).toEqual({
      kind: "cache",
      cacheType: "buildkit",
      hits: 7,
      misses: 2,
    });
  });

  it("explains what is wrong instead of sending", () => {
    expect(parseReportArgs(["cache", "--hit"])).toMatch(/--type/);
    expect(parseReportArgs(["cache", "--type", "npm"])).toMatch(/--hit/);
    expect(parseReportArgs(["cache", "--type", "npm", "--hits", "x"])).toMatch(/--hits/);
    expect(parseReportArgs(["cache", "--type", "npm", "--bogus"])).toMatch(/unknown argument/);
    expect(parseReportArgs(["cash"])).toMatch(/report cache/);
  });
});
