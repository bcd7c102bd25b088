// How Grafana turns a dashboard's time range into a Prometheus query: the interval it picks for
// a panel ($__interval, also the range query's step), the rate window ($__rate_interval) and the
// aligned start and end. Written from Grafana's documented behaviour: the interval is the range
// divided by the panel's max data points (its width in pixels), rounded to a "nice" value, never
// under the panel's min interval or the datasource's scrape interval.

// Grafana's rounding table: an interval below each bound (ms) becomes the value beside it.
const NICE: readonly (readonly [number, number])[] = [
  [15, 10],
  [35, 20],
  [75, 50],
  [150, 100],
  [350, 200],
  [750, 500],
  [1_500, 1_000],
  [3_500, 2_000],
  [7_500, 5_000],
  [12_500, 10_000],
  [17_500, 15_000],
  [25_000, 20_000],
  [45_000, 30_000],
  [90_000, 60_000],
  [210_000, 120_000],
  [450_000, 300_000],
  [1_050_000, 600_000],
  [1_500_000, 900_000],
  [2_700_000, 1_200_000],
  [5_400_000, 1_800_000],
  [9_000_000, 3_600_000],
  [16_200_000, 7_200_000],
  [32_400_000, 10_800_000],
  [86_400_000, 21_600_000],
  [604_800_000, 86_400_000],
  [1_814_400_000, 604_800_000],
  [3_628_800_000, 2_592_000_000],
];

/** Grafana's "nice" rounding of an interval in milliseconds. */
export function roundInterval(ms: number): number {
  for (const [below, value] of NICE) if (ms < below) return value;
  return 31_536_000_000;
}

/** A full-width panel on a 1920-pixel screen: the most data points, so the smallest step Grafana asks for. */
export const WIDE_PANEL_PIXELS = 1800;

export interface PanelTime {
  /** $__interval in seconds, which is also the range query's step. */
  readonly intervalSeconds: number;
  /** $__rate_interval in seconds. */
  readonly rateIntervalSeconds: number;
  /** The range query's start and end, aligned to the step as Grafana aligns them. */
  readonly start: number;
  readonly end: number;
}

/**
 * The interval, rate interval and aligned range of a panel over [end - rangeSeconds, end].
 * minIntervalSeconds: the panel's own min interval if it has one, else the datasource's scrape interval.
 */
export function panelTime(end: number, rangeSeconds: number, scrapeSeconds: number, minIntervalSeconds: number): PanelTime {
  const rounded = roundInterval((rangeSeconds * 1000) / WIDE_PANEL_PIXELS) / 1000;
  const intervalSeconds = Math.max(rounded, minIntervalSeconds);
  return {
    intervalSeconds,
    rateIntervalSeconds: Math.max(intervalSeconds + scrapeSeconds, 4 * scrapeSeconds),
    start: Math.floor((end - rangeSeconds) / intervalSeconds) * intervalSeconds,
    end: Math.floor(end / intervalSeconds) * intervalSeconds,
  };
}
