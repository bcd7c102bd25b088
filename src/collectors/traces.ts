import { Counter } from "../metrics/prom-client.js";
import { SPAN_OUTCOMES } from "../observation.js";
import { nameOf, type Collector, type Registers } from "./collector.js";

/** The trace exporter's spans by outcome; present only when traces are on (an OTLP endpoint is set). */
export function tracesCollector(registers: Registers): Collector {
  const spans = new Counter({
    name: "github_runner_trace_spans_total",
    help: "Spans of jobs handed to the OTLP exporter, by outcome: exported, dropped (the queue was full: the collector is down or slow) or failed (the export failed).",
    labelNames: ["outcome"] as const,
    registers,
  });
  for (const outcome of SPAN_OUTCOMES) spans.inc({ outcome }, 0);
  return {
    names: [nameOf(spans)],
    observe: (observation) => {
      if (observation.type === "trace-spans" && observation.count > 0) spans.inc({ outcome: observation.outcome }, observation.count);
    },
  };
}
