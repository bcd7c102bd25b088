import { describe, expect, it } from "vitest";
import { negotiateFormat } from "../../../src/http/negotiate.js";

describe("negotiateFormat", () => {
  it.each([
    [undefined, "text"],
    ["", "text"],
    ["*/*", "text"],
    ["text/plain", "text"],
    ["text/plain;version=0.0.4", "text"],
    ["application/openmetrics-text", "openmetrics"],
    ["application/openmetrics-text; version=1.0.0; charset=utf-8", "openmetrics"],
    // Prometheus 2.x default
    ["application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1", "openmetrics"],
    // Prometheus 3.x default (protobuf first, which is not offered here)
    [
      "application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited;q=0.5,application/openmetrics-text;version=1.0.0;q=0.4,application/openmetrics-text;version=0.0.1;q=0.3,text/plain;version=1.0.0;escaping=allow-utf-8;q=0.2,text/plain;version=0.0.4;q=0.1,*/*;q=0.05",
      "openmetrics",
    ],
    // A scrape config with scrape_protocols: [PrometheusText0.0.4]
    ["text/plain;version=0.0.4;q=0.5,*/*;q=0.1", "text"],
    ["text/plain;q=1, application/openmetrics-text;q=0.5", "text"],
    ["application/openmetrics-text;q=0", "text"],
    ["application/openmetrics-text;version=2.0.0", "text"],
    ["garbage;;;==,", "text"],
  ] as const)("%j -> %s", (accept, format) => {
    expect(negotiateFormat(accept)).toBe(format);
  });
});
