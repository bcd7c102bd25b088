const UNIT_MS: Readonly<Record<string, number>> = { ns: 1e-6, us: 1e-3, "\u00b5s": 1e-3, "\u03bcs": 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/**
 * A duration written as Go's time.ParseDuration reads it ("1s", "1m30s", "250ms", "0"), in
 * milliseconds; undefined when it is not one. Negative durations are not accepted.
 */
export function parseGoDuration(text: string): number | undefined {
  if (text === "0") return 0;
  const body = text.startsWith("+") ? text.slice(1) : text;
  if (body === "") return undefined;
  let total = 0;
  let rest = body;
  while (rest !== "") {
    const m = /^(\d+(?:\.\d*)?|\.\d+)([a-zµμ]+)/.exec(rest);
    const unit = m ? UNIT_MS[m[2]!] : undefined;
    if (!m || unit === undefined) return undefined;
    total += Number(m[1]) * unit;
    rest = rest.slice(m[0].length);
  }
  return Number.isFinite(total) ? total : undefined;
}
