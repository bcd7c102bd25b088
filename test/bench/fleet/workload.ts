// A month of work for a fleet of runners, made up but shaped like a real one: jobs arrive by the
// hour of the week (busy working days, quiet nights and weekends), last minutes to hours (longer
// on chrome runners), mostly succeed; a few are deploys; runners lose their connection now and
// then and restart every few days, which resets their counters. Every runner is its own seeded
// random stream, so a run is reproducible. The result is a list of timed events per runner; the
// series values at any scrape follow from them (runner-state.ts).

/** The job results the supervisor counts, with their share of jobs. */
export const STATUS_SHARES: readonly (readonly [string, number])[] = [
  ["success", 0.86],
  ["failed", 0.09],
  ["cancelled", 0.035],
  ["skipped", 0.005],
  ["abandoned", 0.005],
  ["unknown", 0.005],
];
export const PHASES = ["setup", "steps", "cleanup"] as const;
export const RUNNER_TYPES = ["standard", "chrome", "chrome-go"] as const;
export type RunnerType = (typeof RUNNER_TYPES)[number];

/** A job as the supervisor sees it: when it ran, how it ended, what it reported. */
export interface Job {
  readonly start: number;
  readonly end: number;
  readonly status: string;
  readonly phases: readonly [number, number, number];
  readonly queueSeconds: number;
  readonly cache: readonly { readonly type: string; readonly hit: boolean }[];
  /** A deploy job: its lead time (successful deploys with a commit time). */
  readonly deploy?: { readonly leadSeconds: number | undefined };
}

export type RunnerEvent =
  | { readonly t: number; readonly kind: "job-start"; readonly job: Job }
  | { readonly t: number; readonly kind: "job-end"; readonly job: Job }
  | { readonly t: number; readonly kind: "disconnect"; readonly reason: "connect_error" | "session_conflict"; readonly relaunch: boolean }
  | { readonly t: number; readonly kind: "reconnect" }
  | { readonly t: number; readonly kind: "update" }
  | { readonly t: number; readonly kind: "restart" };

export interface RunnerPlan {
  readonly name: string;
  readonly type: RunnerType;
  readonly index: number;
  /** In time order. */
  readonly events: readonly RunnerEvent[];
  readonly jobs: readonly Job[];
}

/** A small, fast seeded generator (mulberry32). */
export function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const exponential = (rng: () => number, mean: number) => -Math.log(1 - rng()) * mean;
function lognormal(rng: () => number, median: number, sigma: number): number {
  // Box-Muller.
  const z = Math.sqrt(-2 * Math.log(1 - rng())) * Math.cos(2 * Math.PI * rng());
  return median * Math.exp(sigma * z);
}
function pick<T>(rng: () => number, shares: readonly (readonly [T, number])[]): T {
  let r = rng();
  for (const [value, share] of shares) {
    if (r < share) return value;
    r -= share;
  }
  return shares.at(-1)![0];
}

/** Median job duration by runner type (seconds): browser test suites run longer. */
const MEDIAN_JOB: Record<RunnerType, number> = { standard: 240, chrome: 540, "chrome-go": 720 };
const CACHE_SHARES: readonly (readonly [string, number])[] = [
  ["npm", 0.35],
  ["docker", 0.25],
  ["buildkit", 0.2],
  ["apt", 0.1],
  ["go", 0.1],
];

/** The share of the time a runner is busy at this moment of the week (UTC). */
function load(t: number): number {
  const day = Math.floor(t / 86400 + 4) % 7; // 1970-01-01 was a Thursday: 0 is Sunday
  const hour = (t % 86400) / 3600;
  if (day === 0 || day === 6) return 0.08;
  if (hour >= 8 && hour < 18) return 0.65;
  if (hour >= 18 && hour < 23) return 0.3;
  return 0.08;
}

/** The runner of this index: its type, name and a month of events between start and end (seconds). */
export function planRunner(index: number, start: number, end: number): RunnerPlan {
  const type = RUNNER_TYPES[index % RUNNER_TYPES.length]!;
  const name = `fleet-${type}-${String(index).padStart(4, "0")}`;
  const rng = random(0x5eed + index * 7919);
  const events: RunnerEvent[] = [];
  const jobs: Job[] = [];
  const median = MEDIAN_JOB[type];
  let t = start + rng() * 600;
  while (t < end) {
    // Idle until the next job; the gap shrinks when the fleet is busy.
    const l = load(t);
    const gap = exponential(rng, (median * 1.4 * (1 - l)) / l);
    // Things that happen to an idle runner, by their rate per second of idle time.
    if (rng() < gap / (86400 * 4)) {
      const at = t + rng() * gap;
      events.push({ t: at, kind: "restart" });
    } else if (rng() < gap / 86400) {
      const at = t + rng() * gap * 0.5;
      const reason = rng() < 0.05 ? "session_conflict" : "connect_error";
      events.push({ t: at, kind: "disconnect", reason, relaunch: rng() < 0.3 });
      events.push({ t: at + Math.min(60 + rng() * 540, gap * 0.5), kind: "reconnect" });
    } else if (rng() < gap / (86400 * 14)) {
      events.push({ t: t + rng() * gap, kind: "update" });
    }
    t += gap;
    if (t >= end) break;
    const duration = Math.min(Math.max(lognormal(rng, median, 0.9), 3), 6 * 3600);
    const setup = Math.min(4 + exponential(rng, 12), duration * 0.3);
    const cleanup = Math.min(1 + exponential(rng, 4), duration * 0.1);
    const status = pick(rng, STATUS_SHARES);
    const deploy = rng() < 0.05 ? { leadSeconds: status === "success" && rng() < 0.9 ? lognormal(rng, 2400, 1) : undefined } : undefined;
    const cache =
      rng() < 0.6 ? Array.from({ length: 1 + Math.floor(rng() * 2) }, () => ({ type: pick(rng, CACHE_SHARES), hit: rng() < 0.8 })) : [];
    const job: Job = {
      start: t,
      end: t + duration,
      status,
      phases: [setup, duration - setup - cleanup, cleanup],
      queueSeconds: Math.max(1, Math.round(lognormal(rng, 6 + 40 * l ** 3, 1.1))),
      cache,
      ...(deploy ? { deploy } : {}),
    };
    jobs.push(job);
    events.push({ t: job.start, kind: "job-start", job });
    if (job.end < end) events.push({ t: job.end, kind: "job-end", job });
    t = job.end + 1;
  }
  events.sort((a, b) => a.t - b.t);
  return { name, type, index, events, jobs };
}
