import { monotonicMs } from "../common/clock.js";
import type { Registries } from "./registries.js";

/** The exposition formats: the Prometheus text format 0.0.4, or OpenMetrics 1.0.0. */
export type Format = "text" | "openmetrics";

/** A rendered scrape: the body (one buffer, shared by every answer that sends it) and its exact Content-Type. */
export interface Exposition {
  readonly contentType: string;
  readonly body: Buffer;
}

interface NamedMetric {
  type?: string;
  name: string;
}

/**
 * A rendering is reused while nothing was observed since and it is younger than this. The values
 * that move on their own (the uptime, the busy seconds of a job in flight, the process figures)
 * are read at render time, so a reused one is at most this old: short enough that a rate() of
 * busy seconds over a few 1 s scrapes stays within a few percent of the truth, long enough that a
 * flood of scrapers costs at most ten renders a second (about 1 ms each).
 */
export const REUSE_MS = 100;

/**
 * Renders the metrics in one format, reusing the last rendering while `version` (which moves
 * with every observation the collectors are given) has not changed. prom-client's OpenMetrics
 * rendering renames every counter in place (strips "_total") and the two registries share their
 * metric objects, so renders run one at a time and the names are put back after each.
 */
export function createRenderer(
  registries: Registries,
  version: () => number,
  now: () => number = monotonicMs,
): (format: Format) => Promise<Exposition> {
  let queue: Promise<unknown> = Promise.resolve();
  const cache = new Map<Format, { exposition: Exposition; version: number; at: number }>();

  const renderNow = async (format: Format): Promise<Exposition> => {
    const cached = cache.get(format);
    const current = version();
    if (cached && cached.version === current && now() - cached.at < REUSE_MS) return cached.exposition;
    const at = now();
    const exposition = format === "text" ? await renderText(registries) : await renderOpenMetrics(registries);
    cache.set(format, { exposition, version: current, at });
    return exposition;
  };
  return (format) => {
    const result = queue.then(() => renderNow(format));
    queue = result.catch(() => undefined);
    return result;
  };
}

async function renderText(registries: Registries): Promise<Exposition> {
  return { contentType: registries.text.contentType, body: Buffer.from(await registries.text.metrics(), "utf8") };
}

async function renderOpenMetrics(registries: Registries): Promise<Exposition> {
  try {
    return { contentType: registries.openMetrics.contentType, body: Buffer.from(await registries.openMetrics.metrics(), "utf8") };
  } finally {
    for (const metric of registries.openMetrics.getMetricsAsArray() as unknown as NamedMetric[]) {
      if (metric.type === "counter" && !metric.name.endsWith("_total")) metric.name = `${metric.name}_total`;
    }
  }
}
