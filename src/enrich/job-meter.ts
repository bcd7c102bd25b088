import type { Cgroup, CgroupSnapshot, OpenedCgroup } from "../cgroup/read.js";
import { usageBetween, type JobUsage } from "../cgroup/usage.js";
import { describeError, logAtMost, type Log } from "../common/log.js";
import type { CgroupOffers, Observation } from "../observation.js";
import { causeOf } from "../runner/causes.js";

/** Memory is sampled this often while a job runs (and never when none does). */
export const SAMPLE_INTERVAL_MS = 1000;
/**
 * Snapshots being read at once, at most: a burst of jobs (thousands a second, never a real
 * runner's pace) gets no usage for the jobs past it rather than a queue of file reads.
 */
const MAX_SNAPSHOTS_IN_FLIGHT = 8;

/** Between the enricher and the collectors: each finished job's cause and cost. */
export interface JobMeter {
  /** Passes one observation on, and follows the job it concerns. */
  take(observation: Observation): void;
  /** Resolves when every job-outcome started so far has been delivered. */
  settled(): Promise<void>;
}

interface MeteredJob {
  /** The snapshot at the `Running job` line; undefined without a cgroup. */
  readonly start: Promise<CgroupSnapshot | undefined> | undefined;
  sampledMax: number | undefined;
  sampling: NodeJS.Timeout | undefined;
  stopped: boolean;
}

/**
 * Follows the job in flight: at its `Running job` line a snapshot of the container's cgroup, while
 * it runs a sample of memory in use every SAMPLE_INTERVAL_MS (one read at a time), at its end a
 * second snapshot; then delivers a job-outcome with its cause (runner/causes.ts) and usage. The
 * reads are small, bounded and asynchronous; a read that fails costs that figure only.
 */
export function createJobMeter(opening: Promise<OpenedCgroup> | undefined, emit: (observation: Observation) => void, log: Log): JobMeter {
  let cgroup: Cgroup | undefined;
  let job: MeteredJob | undefined;
  const pending = new Set<Promise<void>>();
  const logFailure = logAtMost(3, log);
  const reportFailure = (error: unknown) =>
    logFailure(`job resources: a cgroup read failed (the runner is unaffected): ${describeError(error)}`);
  let snapshotsInFlight = 0;

  void opening?.then(
    (opened) => {
      if ("absent" in opened) return log(`job resources off: ${opened.absent}`);
      cgroup = opened.cgroup;
      emit({ type: "cgroup-opened", limits: opened.limits, offers: offersOf(opened.first) });
    },
    (error: unknown) => log(`job resources off: ${describeError(error)}`),
  );

  const snapshot = (c: Cgroup): Promise<CgroupSnapshot | undefined> => {
    if (snapshotsInFlight >= MAX_SNAPSHOTS_IN_FLIGHT) return Promise.resolve(undefined);
    snapshotsInFlight++;
    return c
      .snapshot()
      .catch((error: unknown) => {
        reportFailure(error);
        return undefined;
      })
      .finally(() => snapshotsInFlight--);
  };

  const started = (): void => {
    clearInterval(job?.sampling);
    const c = cgroup;
    const metered: MeteredJob = { start: c && snapshot(c), sampledMax: undefined, sampling: undefined, stopped: false };
    if (c) {
      let reading = false;
      metered.sampling = setInterval(() => {
        if (reading) return;
        reading = true;
        void c
          .memoryNow()
          .then((bytes) => {
            if (bytes !== undefined && (metered.sampledMax === undefined || bytes > metered.sampledMax)) metered.sampledMax = bytes;
          }, reportFailure)
          .finally(() => (reading = false));
      }, SAMPLE_INTERVAL_MS);
      metered.sampling.unref();
    }
    job = metered;
  };

  const finished = (change: Extract<Observation, { type: "job-finished" }>): void => {
    const metered = job;
    job = undefined;
    clearInterval(metered?.sampling);
    const { name, status, labels, context } = change;
    const outcome = (usage: JobUsage | undefined) =>
      emit({
        type: "job-outcome",
        name,
        status,
        labels,
        context,
        usage,
        cause: causeOf({ status, oomKills: usage?.oomKills, stopped: metered?.stopped ?? false }),
      });
    const c = cgroup;
    if (!c || !metered?.start) return outcome(undefined);
    const done = Promise.all([metered.start, snapshot(c)]).then(([start, end]) =>
      outcome(start && end ? usageBetween(start, end, metered.sampledMax) : undefined),
    );
    pending.add(done);
    void done.finally(() => pending.delete(done));
  };

  return {
    take: (observation) => {
      emit(observation);
      if (observation.type === "job-started") started();
      else if (observation.type === "job-finished") finished(observation);
      else if (observation.type === "stopping" && job) job.stopped = true;
    },
    settled: async () => {
      await Promise.all([...pending]);
    },
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
