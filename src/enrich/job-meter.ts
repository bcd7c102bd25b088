import type { Cgroup, CgroupSnapshot, OpenedCgroup } from "../cgroup/read.js";
import { usageBetween, type JobUsage } from "../cgroup/usage.js";
import { monotonicMs } from "../common/clock.js";
import { describeError, logAtMost, type Log } from "../common/log.js";
import type { CgroupOffers, Observation } from "../observation.js";
import { causeOf } from "../runner/causes.js";

/** Memory is sampled this often while a job runs (and never when none does). */
export const SAMPLE_INTERVAL_MS = 1000;
/**
 * Jobs metered in a burst, and how many a second after it. A runner runs one job at a time and
 * each takes seconds, so this never limits one; a flood of job lines (thousands a second: a
 * simulator, a replayed log) gets usage for these jobs only, and costs a few dozen file reads a
 * second instead of reads for every job (docs/JOB_RESOURCES.md, "Cost").
 */
export const METERED_JOBS_BURST = 16;
export const METERED_JOBS_PER_SECOND = 10;

/** Between the enricher and the collectors: each finished job's cause and cost. */
export interface JobMeter {
  /** Passes one observation on, and follows the job it concerns. */
  take(observation: Observation): void;
}

interface MeteredJob {
  /** The snapshot at the `Running job` line; undefined when the job is not metered. */
  readonly start: CgroupSnapshot | undefined;
  sampledMax: number | undefined;
  sampling: NodeJS.Timeout | undefined;
  stopped: boolean;
}

/**
 * Follows the job in flight: at its `Running job` line a snapshot of the container's cgroup, while
 * it runs a sample of memory in use every SAMPLE_INTERVAL_MS, at its end a second snapshot; then
 * delivers a job-outcome with its cause (runner/causes.ts) and usage. Each read is a few small
 * files the kernel makes in memory (cgroup/read.ts); a read that fails costs its figures only.
 */
export function createJobMeter(
  opening: Promise<OpenedCgroup> | undefined,
  emit: (observation: Observation) => void,
  log: Log,
  now: () => number = monotonicMs,
): JobMeter {
  let cgroup: Cgroup | undefined;
  let job: MeteredJob | undefined;
  const logFailure = logAtMost(3, log);
  const budget = tokenBucket(METERED_JOBS_BURST, METERED_JOBS_PER_SECOND, now);

  void opening?.then(
    (opened) => {
      if ("absent" in opened) return log(`job resources off: ${opened.absent}`);
      cgroup = opened.cgroup;
      emit({ type: "cgroup-opened", limits: opened.limits, offers: offersOf(opened.first) });
    },
    (error: unknown) => log(`job resources off: ${describeError(error)}`),
  );

  /** What `read` returns, or undefined (said a few times at most) when it throws. */
  const guarded = <T>(read: () => T): T | undefined => {
    try {
      return read();
    } catch (error) {
      logFailure(`job resources: a cgroup read failed (the runner is unaffected): ${describeError(error)}`);
      return undefined;
    }
  };

  const started = (): void => {
    clearInterval(job?.sampling);
    // Past the allowance a job goes unmetered without a word: a log line on every flood would be
    // the supervisor writing into the runner's stderr for input that is never a runner's.
    const c = cgroup && budget() ? cgroup : undefined;
    const metered: MeteredJob = { start: c && guarded(() => c.snapshot()), sampledMax: undefined, sampling: undefined, stopped: false };
    if (c && metered.start) {
      metered.sampling = setInterval(() => {
        const bytes = guarded(() => c.memoryNow());
        if (bytes !== undefined && (metered.sampledMax === undefined || bytes > metered.sampledMax)) metered.sampledMax = bytes;
      }, SAMPLE_INTERVAL_MS);
      metered.sampling.unref();
    }
    job = metered;
  };

  const finished = (change: Extract<Observation, { type: "job-finished" }>): void => {
    const metered = job;
    job = undefined;
    clearInterval(metered?.sampling);
    const c = cgroup;
    const start = metered?.start;
    const end = c && start ? guarded(() => c.snapshot()) : undefined;
    const usage: JobUsage | undefined = start && end ? usageBetween(start, end, metered.sampledMax) : undefined;
    const { name, status, labels, context } = change;
    emit({
      type: "job-outcome",
      name,
      status,
      labels,
      context,
      usage,
      cause: causeOf({ status, oomKills: usage?.oomKills, stopped: metered?.stopped ?? false }),
    });
  };

  return {
    take: (observation) => {
      emit(observation);
      if (observation.type === "job-started") started();
      else if (observation.type === "job-finished") finished(observation);
      else if (observation.type === "stopping" && job) job.stopped = true;
    },
  };
}

/** Takes one of `burst` tokens, refilled at `perSecond`; false when none is left. */
function tokenBucket(burst: number, perSecond: number, now: () => number): () => boolean {
  let tokens = burst;
  let at = now();
  return () => {
    const t = now();
    tokens = Math.min(burst, tokens + ((t - at) / 1000) * perSecond);
    at = t;
    if (tokens < 1) return false;
    tokens--;
    return true;
  };
}

/** What the first snapshot showed the cgroup offers. */
function offersOf(first: CgroupSnapshot): CgroupOffers {
  return {
    cpu: first.cpuSeconds !== undefined,
    memory: first.memoryCurrentBytes !== undefined,
    throttling: first.throttledSeconds !== undefined,
    io: first.io !== undefined,
    oomKills: first.oomKills !== undefined,
    pressure: Object.keys(first.pressureSeconds) as CgroupOffers["pressure"],
  };
}
