import { describe, expect, it } from "vitest";
import { ConfigError, resolveConfig, withoutPrivateVariables } from "../../../src/config/config.js";
import { tracingOn } from "../../../src/config/options.js";

const resolve = (env: Record<string, string>) => resolveConfig({}, { RUNNER_HOME: "/", ...env }, []);
const errorOf = (env: Record<string, string>) => {
  try {
    resolve(env);
  } catch (error) {
    if (error instanceof ConfigError) return error.message;
    throw error;
  }
  return undefined;
};

describe("trace options", () => {
  it("turns traces on with an endpoint only, and off with OTEL_SDK_DISABLED", () => {
    expect(tracingOn(resolve({}), {})).toBe(false);
    expect(tracingOn(resolve({ OTEL_EXPORTER_OTLP_ENDPOINT: "http://collector:4318/" }), {})).toBe(true);
    expect(resolve({ OTEL_EXPORTER_OTLP_ENDPOINT: "http://collector:4318/" }).otlpEndpoint).toBe("http://collector:4318");
    expect(tracingOn(resolve({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: "https://c/v1/traces" }), { OTEL_SDK_DISABLED: "true" })).toBe(false);
  });

  it("keeps traces off with one line for grpc (the variables may be the jobs'), refuses a bad endpoint or rule, and never echoes the headers", () => {
    expect(errorOf({ OTEL_EXPORTER_OTLP_PROTOCOL: "grpc" })).toBeUndefined();
    const grpc = resolve({ OTEL_EXPORTER_OTLP_PROTOCOL: "grpc", OTEL_EXPORTER_OTLP_ENDPOINT: "http://c:4317" });
    expect(grpc.traces).toBe(false);
    expect(grpc.tracesOff).toBe(
      'traces off: OTEL_EXPORTER_OTLP_PROTOCOL="grpc"; the supervisor sends OTLP over HTTP (http/protobuf or http/json)',
    );
    expect(resolve({ OTEL_EXPORTER_OTLP_ENDPOINT: "http://c:4318" }).traces).toBe(true);
    expect(errorOf({ OTEL_EXPORTER_OTLP_ENDPOINT: "collector:4317" })).toMatch(
      /^invalid OTEL_EXPORTER_OTLP_ENDPOINT="collector:4317": expected an http or https URL/,
    );
    expect(errorOf({ TRACE_ID_RULE: "sha1" })).toBe(
      'invalid TRACE_ID_RULE="sha1": expected one of github-receiver, github-receiver-legacy, random',
    );
    const secret = "api-key=s3cr3t\nx";
    // Headers the exporter cannot use are the jobs' business while traces are off.
    expect(errorOf({ OTEL_EXPORTER_OTLP_HEADERS: secret })).toBeUndefined();
    const message = errorOf({ OTEL_EXPORTER_OTLP_HEADERS: secret, OTEL_EXPORTER_OTLP_ENDPOINT: "http://c:4318" })!;
    expect(message).toMatch(/^invalid OTEL_EXPORTER_OTLP_HEADERS \(value not shown/);
    expect(message).not.toContain("s3cr3t");
    expect(
      resolve({ OTEL_EXPORTER_OTLP_HEADERS: "api-key=s3cr3t,x-team=ci%20runners", OTEL_EXPORTER_OTLP_ENDPOINT: "http://c:4318" })
        .otlpHeaders,
    ).toBe("api-key=s3cr3t,x-team=ci%20runners");
    // With traces on, the headers (an API key) stay out of the jobs' environment; with them off they are the jobs' own.
    const both = { OTEL_EXPORTER_OTLP_HEADERS: "api-key=s3cr3t", OTEL_EXPORTER_OTLP_ENDPOINT: "http://c:4318" };
    expect(withoutPrivateVariables(both, { traces: true })).toEqual({ OTEL_EXPORTER_OTLP_ENDPOINT: "http://c:4318" });
    expect(withoutPrivateVariables(both, { traces: false })).toEqual(both);
  });
});
