import type { Format } from "../http/negotiate.js";
import type { Registries } from "./definitions.js";

/** A rendered scrape: the body and its exact Content-Type. */
export interface Exposition {
  readonly contentType: string;
  readonly body: string;
}

interface NamedMetric {
  type?: string;
  name: string;
}

/**
 * Renders the metrics in one format. prom-client's OpenMetrics rendering renames every counter
 * in place (strips "_total") and the two registries share their metric objects, so renders run
 * one at a time and the names are put back after each OpenMetrics render.
 */
export function createRenderer(registries: Registries): (format: Format) => Promise<Exposition> {
  let queue: Promise<unknown> = Promise.resolve();
  const renderNow = async (format: Format): Promise<Exposition> => {
    if (format === "text") return { contentType: registries.text.contentType, body: await registries.text.metrics() };
    try {
      return { contentType: registries.openMetrics.contentType, body: await registries.openMetrics.metrics() };
    } finally {
      for (const metric of registries.openMetrics.getMetricsAsArray() as unknown as NamedMetric[]) {
        if (metric.type === "counter" && !metric.name.endsWith("_total")) metric.name = `${metric.name}_total`;
      }
    }
  };
  return (format) => {
    const result = queue.then(() => renderNow(format));
    queue = result.catch(() => undefined);
    return result;
  };
}
