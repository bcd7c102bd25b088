import { Counter, Gauge, Histogram } from "../metrics/prom-client.js";
import type { OptionValues } from "../config/config.js";
import type { JobLabels } from "../observation.js";
import { JOB_STATUSES } from "../runner/jobs.js";
import { nameOf, seedWhenLabelled, type Collector, type JobLabelling, type Registers } from "./collector.js";

/** Jobs by result: how many, how long, and when the last of each result ended. */
export function jobsCollector(o: JobLabelling & Pick<OptionValues, "jobDurationBuckets">, registers: Registers): Collector {
  const jobs = new Counter<string>({
    name: "github_runner_jobs_total",
    help: "Jobs finished, by result (SucceededWithIssues counts as success; unknown: the job never printed a result).",
    labelNames: ["status", ...o.jobLabelNames],
    registers,
  });
  const duration = new Histogram<string>({
    name: "github_runner_job_duration_seconds",
    help: "Time from a job's 'Running job' line to its completed line (or to when it was closed as unknown).",
    labelNames: ["status", ...o.jobLabelNames],
    buckets: [...o.jobDurationBuckets],
    registers,
  });
  const lastCompletion = new Gauge({
    name: "github_runner_last_job_completion_timestamp_seconds",
    help: "Unix time the last job with this status finished; absent until one has.",
    labelNames: ["status"] as const,
    registers,
  });
  // Every status starts at 0, so rate() and increase() see a job's first result.
  const seed = (labels: JobLabels) => {
    for (const status of JOB_STATUSES) {
      jobs.inc({ status, ...labels }, 0);
      duration.zero({ status, ...labels });
    }
  };
  seed(o.unknownJobLabels);

  return {
    names: [jobs, duration, lastCompletion].map(nameOf),
    observe: (change) => {
      seedWhenLabelled(change, seed);
      if (change.type === "job-finished") {
        const labels = { status: change.status, ...change.labels };
        jobs.inc(labels);
        if (change.durationSeconds !== undefined) duration.observe(labels, change.durationSeconds);
        lastCompletion.set({ status: change.status }, change.finishedAtEpochSeconds);
      }
    },
  };
}
