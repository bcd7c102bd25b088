import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { negotiateFormat } from "../../src/http/negotiate.js";
import { parseSamples, startSupervisor, stopSupervisor, type Running } from "../helpers/supervisor.js";

// The Accept headers Prometheus sends, written out as it builds them: scrape/scrape.go's
// acceptHeader() joins config.ScrapeProtocolsHeaders in the configured scrape_protocols order
// with weights counting down from q=0.6 (five known protocols, plus one), then */* one step
// lower. Prometheus 3 adds ";escaping=<scheme>" to the two 1.0.0 text formats ("allow-utf-8"
// with the default UTF-8 name validation, "underscores" with legacy validation); earlier 3.x
// releases added it to every range when names were UTF-8.
const OM1 = "application/openmetrics-text;version=1.0.0";
const OM0 = "application/openmetrics-text;version=0.0.1";
const TEXT1 = "text/plain;version=1.0.0";
const TEXT0 = "text/plain;version=0.0.4";
const PROTO = "application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited";

const PROMETHEUS_3: readonly [string, string, "text" | "openmetrics"][] = [
  ["3.x default scrape_protocols", `${OM1};escaping=allow-utf-8;q=0.6,${OM0};q=0.5,${TEXT1};escaping=allow-utf-8;q=0.4,${TEXT0};q=0.3,*/*;q=0.2`, "openmetrics"],
  ["3.x default, legacy name validation", `${OM1};escaping=underscores;q=0.6,${OM0};q=0.5,${TEXT1};escaping=underscores;q=0.4,${TEXT0};q=0.3,*/*;q=0.2`, "openmetrics"],
  ["earlier 3.x default (escaping on every range)", `${OM1};escaping=allow-utf-8;q=0.6,${OM0};escaping=allow-utf-8;q=0.5,${TEXT1};escaping=allow-utf-8;q=0.4,${TEXT0};escaping=allow-utf-8;q=0.3,*/*;q=0.2`, "openmetrics"],
  ["3.x protobuf first (native histograms)", `${PROTO};q=0.6,${OM1};escaping=allow-utf-8;q=0.5,${OM0};q=0.4,${TEXT1};escaping=allow-utf-8;q=0.3,${TEXT0};q=0.2,*/*;q=0.1`, "openmetrics"],
  ["scrape_protocols: [PrometheusText1.0.0]", `${TEXT1};escaping=allow-utf-8;q=0.6,*/*;q=0.5`, "text"],
  ["scrape_protocols: [OpenMetricsText1.0.0]", `${OM1};escaping=allow-utf-8;q=0.6,*/*;q=0.5`, "openmetrics"],
  // OpenMetrics 0.0.1 is not served under that version: */* lets the text format answer.
  ["scrape_protocols: [OpenMetricsText0.0.1]", `${OM0};q=0.6,*/*;q=0.5`, "text"],
  ["scrape_protocols: [PrometheusText0.0.4]", `${TEXT0};q=0.6,*/*;q=0.5`, "text"],
  // The text rendering is labelled version=0.0.4, which text/plain;version=1.0.0 does not
  // match: OpenMetrics 1.0.0, the next range, outweighs */*.
  ["scrape_protocols: [PrometheusText1.0.0, OpenMetricsText1.0.0]", `${TEXT1};escaping=allow-utf-8;q=0.6,${OM1};escaping=allow-utf-8;q=0.5,*/*;q=0.4`, "openmetrics"],
  ["scrape_protocols: [PrometheusProto, PrometheusText0.0.4]", `${PROTO};q=0.6,${TEXT0};q=0.5,*/*;q=0.4`, "text"],
];

// Prometheus 2.x before scrape_protocols existed (Debian's 2.42 sends this).
const PROMETHEUS_2 = `${OM1},${OM0};q=0.75,${TEXT0};q=0.5,*/*;q=0.1`;

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

interface Range {
  type: string;
  params: Map<string, string>;
  q: number;
}

function ranges(accept: string): Range[] {
  return accept.split(",").map((part) => {
    const [type = "", ...rest] = part.split(";").map((s) => s.trim().toLowerCase());
    const params = new Map(rest.map((p) => p.split("=").map((s) => s.trim()) as [string, string]));
    const q = params.has("q") ? Number(params.get("q")) : 1;
    params.delete("q");
    return { type, params, q };
  });
}

/** The weight RFC 9110 gives a Content-Type under an Accept header: its most specific matching range's q (0: not acceptable). */
function weightOf(contentType: string, accept: string): number {
  const [type = "", ...rest] = contentType.split(";").map((s) => s.trim().toLowerCase());
  const params = new Map(rest.map((p) => p.split("=").map((s) => s.trim()) as [string, string]));
  let best: { specificity: number; q: number } = { specificity: -1, q: 0 };
  for (const r of ranges(accept)) {
    const [major, minor] = r.type.split("/");
    const typeMatches = r.type === type || (minor === "*" && (major === "*" || type.startsWith(`${major}/`)));
    // Parameters other than escaping must match exactly; escaping only limits names, all of ours are legacy.
    const paramsMatch = [...r.params].every(([k, v]) => k === "escaping" || params.get(k) === v);
    if (!typeMatches || !paramsMatch) continue;
    const specificity = (r.type === type ? 2 : minor === "*" && major !== "*" ? 1 : 0) * 10 + r.params.size;
    if (specificity > best.specificity) best = { specificity, q: r.q };
  }
  return best.q;
}

describe("the endpoint, asked with Prometheus's exact Accept headers", () => {
  let supervisor: Running | undefined;
  beforeAll(async () => {
    supervisor = startSupervisor({ command: ["bash", "-c", "echo 'Listening for Jobs'; sleep 30"], env: { RUNNER_NAME: "negotiation" } });
    await supervisor.port;
  });
  afterAll(async () => stopSupervisor(supervisor));

  it.each([["Prometheus 2.x", PROMETHEUS_2, "openmetrics"] as const, ...PROMETHEUS_3])("%s: an acceptable Content-Type and a body that parses as it says", async (_name, accept, format) => {
    const res = await supervisor!.get("/metrics", { Accept: accept });
    expect(res.status).toBe(200);
    const contentType = res.headers.get("content-type")!;
    expect(contentType).toBe(format === "openmetrics" ? "application/openmetrics-text; version=1.0.0; charset=utf-8" : "text/plain; version=0.0.4; charset=utf-8");
    expect(weightOf(contentType, accept), `${contentType} is acceptable under ${accept}`).toBeGreaterThan(0);
    // No format the supervisor could send is weighted higher than the one it sent.
    const other = format === "openmetrics" ? "text/plain; version=0.0.4; charset=utf-8" : "application/openmetrics-text; version=1.0.0; charset=utf-8";
    expect(weightOf(contentType, accept)).toBeGreaterThanOrEqual(weightOf(other, accept));
    // Parsed by the official Prometheus client's parser for the format the Content-Type names.
    const samples = parseSamples(await res.text(), format);
    expect(samples.value("github_runner_jobs_total", { status: "success" })).toBe(0);
    expect(samples.value("github_runner_info", { runner_name: "negotiation" })).toBe(1);
  });

  it("the weight check can fail: OpenMetrics is not acceptable to a text-only header", () => {
    expect(weightOf("application/openmetrics-text; version=1.0.0; charset=utf-8", `${TEXT0};q=0.6`)).toBe(0);
    expect(weightOf("application/openmetrics-text; version=1.0.0; charset=utf-8", `${OM0};q=0.6`)).toBe(0);
  });
});
