import { describe, expect, it } from "vitest";
import { negotiateFormat } from "../../../src/http/negotiate.js";
import { PROMETHEUS_2, PROMETHEUS_3 } from "../../fixtures/prometheus-accept.js";

describe("negotiateFormat", () => {
  it.each([
    [undefined, "text"],
    ["", "text"],
    ["*/*", "text"],
    ["text/plain", "text"],
    ["text/plain;version=0.0.4", "text"],
    ["application/openmetrics-text", "openmetrics"],
    ["application/openmetrics-text; version=1.0.0; charset=utf-8", "openmetrics"],
    [PROMETHEUS_2, "openmetrics"],
    ["text/plain;q=1, application/openmetrics-text;q=0.5", "text"],
    ["application/openmetrics-text;q=0", "text"],
    ["application/openmetrics-text;version=2.0.0", "text"],
    ["text/plain;version=2.0.0, application/openmetrics-text;q=0.5", "openmetrics"],
    ["garbage;;;==,", "text"],
  ] as const)("%j -> %s", (accept, format) => {
    expect(negotiateFormat(accept)).toBe(format);
  });

  it.each(PROMETHEUS_3)("Prometheus %s -> %s", (_name, accept, format) => {
    expect(negotiateFormat(accept)).toBe(format);
  });
});
