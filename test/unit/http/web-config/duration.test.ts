import { describe, expect, it } from "vitest";
import { parseGoDuration } from "../../../../src/http/web-config/parse.js";

describe("parseGoDuration: Go's time.ParseDuration, in milliseconds", () => {
  it.each([
    ["0", 0],
    ["1s", 1000],
    ["+1s", 1000],
    ["250ms", 250],
    ["1.5s", 1500],
    [".5s", 500],
    ["1m30s", 90_000],
    ["2h", 7_200_000],
    ["1h1m1s1ms", 3_661_001],
    ["1500us", 1.5],
    ["1500µs", 1.5],
    ["2000000ns", 2],
  ])("%s is %d ms", (text, ms) => {
    expect(parseGoDuration(text)).toBeCloseTo(ms, 9);
  });

  it.each(["", "1", "s", "-1s", "1 s", "1sec", "1d", "1.s.5", "++1s"])("%j is not a duration", (text) => {
    expect(parseGoDuration(text)).toBeUndefined();
  });
});
