import { Counter, Histogram } from "../metrics/prom-client.js";
import type { OptionValues } from "../config/config.js";
import type { JobLabels } from "../observation.js";
import { JOB_PHASES, JOB_STATUSES } from "../runner/jobs.js";
import { nameOf, seedWhenLabelled, type Collector, type JobLabelling, type Registers } from "./collector.js";

/**
 * Where a job's time goes: set-up (the `Running job` line to the started hook: the worker
 * starting, actions downloaded, containers created), steps (started hook to completed hook) and
 * clean-up (completed hook to the completed line). A phase is observed only when the supervisor
 * saw both its moments; otherwise it is counted as untimed, never guessed.
 */
export function jobPhasesCollector(o: JobLabelling & Pick<OptionValues, "jobPhaseBuckets">, registers: Registers): Collector {
  const duration = new Histogram<string>({
    name: "github_runner_job_phase_duration_seconds",
    help: "Time a finished job spent in each phase: setup (Running job line to job-started hook), steps (to the job-completed hook), cleanup (to the completed line).",
    labelNames: ["phase", "status", ...o.jobLabelNames],
    buckets: [...o.jobPhaseBuckets],
    registers,
  });
  const untimed = new Counter({
    name: "github_runner_job_phases_untimed_total",
    help: "Phases of finished jobs not timed because a moment bounding them never reached the supervisor (hooks not run or overridden, a job cancelled before its completed hook, no completed line).",
    labelNames: ["phase"] as const,
    registers,
  });
  const seed = (labels: JobLabels) => {
    for (const phase of JOB_PHASES) for (const status of JOB_STATUSES) duration.zero({ phase, status, ...labels });
  };
  seed(o.unknownJobLabels);
  for (const phase of JOB_PHASES) untimed.inc({ phase }, 0);

  return {
    names: [duration, untimed].map(nameOf),
    observe: (change) => {
      seedWhenLabelled(change, seed);
      if (change.type === "job-finished" && change.durationSeconds !== undefined) {
        for (const phase of JOB_PHASES) {
          const seconds = change.phases[phase];
          if (seconds === undefined) untimed.inc({ phase });
          else duration.observe({ phase, status: change.status, ...change.labels }, seconds);
        }
      }
    },
  };
}
