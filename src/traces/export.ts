import { createNoopMeter, type Attributes, type MeterProvider } from "@opentelemetry/api";
import { OTLPTraceExporter as JsonExporter } from "@opentelemetry/exporter-trace-otlp-http";
import { OTLPTraceExporter as ProtobufExporter } from "@opentelemetry/exporter-trace-otlp-proto";
import { defaultResource, detectResources, envDetector, resourceFromAttributes } from "@opentelemetry/resources";
import { BasicTracerProvider, BatchSpanProcessor } from "@opentelemetry/sdk-trace-base";
import { ATTR_ERROR_TYPE, ATTR_SERVICE_NAME, ATTR_SERVICE_VERSION } from "@opentelemetry/semantic-conventions";
import { METRIC_OTEL_SDK_PROCESSOR_SPAN_PROCESSED } from "@opentelemetry/semantic-conventions/incubating";
import type { OptionValues } from "../config/config.js";
import type { SpanOutcome } from "../observation.js";

export type ExportOptions = Pick<OptionValues, "otlpEndpoint" | "otlpTracesEndpoint" | "otlpProtocol" | "otlpHeaders"> & {
  readonly serviceVersion: string;
  /** Called with each batch's outcome (from the SDK's own span processor metrics). */
  readonly onSpans: (outcome: SpanOutcome, count: number) => void;
};

/** The batch queue never holds more spans than this, whatever OTEL_BSP_MAX_QUEUE_SIZE says. */
export const MAX_QUEUE_SIZE = 8192;

/**
 * The official SDK, set up as every OpenTelemetry SDK reads its variables: an OTLP/HTTP exporter
 * (protobuf or JSON) behind a BatchSpanProcessor (OTEL_BSP_*: a bounded queue that drops when
 * full, exports off the main path), a resource from OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES.
 */
export function createTracerProvider(o: ExportOptions, env: NodeJS.ProcessEnv = process.env): BasicTracerProvider {
  const url = o.otlpTracesEndpoint || `${o.otlpEndpoint}/v1/traces`;
  const exporterConfig = {
    url,
    headers: headersOf(o.otlpHeaders),
    // A job's spans fit in a batch or two: two exports in flight bound what a slow collector holds.
    concurrencyLimit: 2,
  };
  const exporter = o.otlpProtocol === "http/json" ? new JsonExporter(exporterConfig) : new ProtobufExporter(exporterConfig);
  const queue = Number(env.OTEL_BSP_MAX_QUEUE_SIZE);
  // sdk-trace-base's processor reads OTEL_BSP_* for what is not given and passes the rest on to
  // sdk-trace's, which takes the meter; its own config type does not list that option yet.
  const config = {
    ...(Number.isFinite(queue) && queue > MAX_QUEUE_SIZE ? { maxQueueSize: MAX_QUEUE_SIZE } : {}),
    selfObsMeterProvider: outcomesMeter(o.onSpans),
  };
  const processor = new BatchSpanProcessor(exporter, config);
  const resource = defaultResource()
    .merge(resourceFromAttributes({ [ATTR_SERVICE_NAME]: "runner-supervisor", [ATTR_SERVICE_VERSION]: o.serviceVersion }))
    .merge(detectResources({ detectors: [envDetector] }));
  return new BasicTracerProvider({ resource, spanProcessors: [processor] });
}

/** OTEL_EXPORTER_OTLP_HEADERS: key=value pairs, values URL-encoded. */
function headersOf(raw: string): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const pair of raw.split(",")) {
    const at = pair.indexOf("=");
    if (at <= 0) continue;
    let value = pair.slice(at + 1).trim();
    try {
      value = decodeURIComponent(value);
    } catch {
      // kept as written
    }
    headers[pair.slice(0, at).trim()] = value;
  }
  return headers;
}

/**
 * The span processor reports what it did with each span through the SDK's self-observability
 * counter (otel.sdk.processor.span.processed, with error.type "queue_full" for a span dropped
 * because the queue was full, or the export's error); this meter passes those counts on.
 */
function outcomesMeter(onSpans: ExportOptions["onSpans"]): MeterProvider {
  const meter = createNoopMeter();
  const createCounter = meter.createCounter.bind(meter);
  meter.createCounter = (name, options) => {
    if (name !== METRIC_OTEL_SDK_PROCESSOR_SPAN_PROCESSED) return createCounter(name, options);
    return {
      add: (count: number, attributes?: Attributes) => {
        const error = attributes?.[ATTR_ERROR_TYPE];
        onSpans(error === undefined ? "exported" : error === "queue_full" ? "dropped" : "failed", count);
      },
    };
  };
  return { getMeter: () => meter };
}
