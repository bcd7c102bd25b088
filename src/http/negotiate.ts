import type { Format } from "../metrics/render.js";

interface MediaRange {
  readonly type: string;
  readonly version: string | undefined;
  readonly q: number;
}

function parseAccept(header: string): MediaRange[] {
  return header.split(",").map((part) => {
    const [type = "", ...params] = part.split(";").map((s) => s.trim());
    let q = 1;
    let version: string | undefined;
    for (const param of params) {
      const [k = "", v = ""] = param.split("=").map((s) => s.trim());
      if (k.toLowerCase() === "q") q = Number.isFinite(Number(v)) ? Number(v) : 0;
      else if (k.toLowerCase() === "version") version = v;
    }
    return { type: type.toLowerCase(), version, q };
  });
}

/**
 * Picks the format an Accept header prefers: OpenMetrics 1.0.0 when it is asked for with the
 * highest weight, otherwise the Prometheus text format (also for no header or *\/*).
 */
export function negotiateFormat(accept: string | undefined): Format {
  if (!accept) return "text";
  let best: { format: Format; q: number } = { format: "text", q: 0 };
  for (const range of parseAccept(accept)) {
    if (range.q <= 0) continue;
    const openMetrics = range.type === "application/openmetrics-text" && (range.version === undefined || range.version === "1.0.0");
    // Ties keep the earlier range, as listed by the client.
    if (openMetrics && range.q > best.q) best = { format: "openmetrics", q: range.q };
    else if (!openMetrics && isTextRange(range) && range.q > best.q) best = { format: "text", q: range.q };
  }
  return best.format;
}

function isTextRange(range: MediaRange): boolean {
  if (range.type === "text/plain") return range.version === undefined || range.version === "0.0.4";
  return range.type === "*/*" || range.type === "text/*";
}
