import { Counter, Histogram } from "../metrics/prom-client.js";
import type { OptionValues } from "../config/config.js";
import { OptionalGauge } from "../metrics/absent-gauges.js";
import { LOOKUP_FAILURE_REASONS, type JobLabels } from "../observation.js";
import { nameOf, seedWhenLabelled, type Collector, type JobLabelling, type Registers } from "./collector.js";

/** How long jobs queued, from GitHub's API; why a job has none. */
export function queueTimeCollector(o: JobLabelling & Pick<OptionValues, "queueTimeBuckets">, registers: Registers): Collector {
  const last = new OptionalGauge(
    "github_runner_queue_time_seconds",
    "Queue time of the last job whose look-up finished: GitHub's created_at to started_at for the job; absent when that look-up failed.",
    registers,
  );
  const histogram = new Histogram<string>({
    name: "github_runner_job_queue_time_seconds",
    help: "Queue time of each job whose look-up succeeded: from the job's created_at to its started_at in GitHub's REST API.",
    labelNames: [...o.jobLabelNames],
    buckets: [...o.queueTimeBuckets],
    registers,
  });
  const failures = new Counter({
    name: "github_runner_queue_time_lookup_failures_total",
    help: "Jobs without a queue time, by reason (no_token: no token configured; no_context: no hook reached the supervisor; the rest: how the API look-up failed).",
    labelNames: ["reason"] as const,
    registers,
  });
  const seed = (labels: JobLabels) => histogram.zero({ ...labels });
  seed(o.unknownJobLabels);
  for (const reason of LOOKUP_FAILURE_REASONS) failures.inc({ reason }, 0);

  return {
    names: [last, histogram, failures].map(nameOf),
    observe: (change) => {
      seedWhenLabelled(change, seed);
      if (change.type === "queue-time") {
        if (change.result.ok) {
          last.set(change.result.seconds);
          histogram.observe({ ...change.labels }, change.result.seconds);
        } else {
          // No value is shown rather than the last job's: a job without a queue time has none.
          last.clear();
          failures.inc({ reason: change.result.reason });
        }
      }
    },
  };
}
