import { Counter, Histogram } from "../metrics/prom-client.js";
import type { JobLabels } from "../observation.js";
import { JOB_STATUSES } from "../runner/jobs.js";
import { nameOf, seedWhenLabelled, type Collector, type JobLabelling, type Registers } from "./collector.js";

/** Deploy lead and recovery times in DORA's bands: an hour, a day, a week, a month (no panel reads finer buckets). */
const DEPLOY_BUCKETS = [3600, 86400, 604800, 2592000];

/** Deploy jobs (those DEPLOY_PATTERN matches): how many by result, how many jobs it was tried on, lead time for changes, recovery time. Only with a pattern. */
export function deploysCollector(o: JobLabelling, registers: Registers): Collector {
  const deployments = new Counter<string>({
    name: "github_runner_deployments_total",
    help: "Deploy jobs (workflow, job key or environment matching DEPLOY_PATTERN) finished, by result.",
    labelNames: ["result", ...o.jobLabelNames],
    registers,
  });
  // Beside the deploys, the jobs they were picked from: a pattern that never matches shows as
  // matched="false" growing alone. No job labels: one pair of series per runner.
  const classified = new Counter<string>({
    name: "github_runner_deploy_pattern_jobs_total",
    help: 'Finished jobs with a job context that DEPLOY_PATTERN was tried on, by whether it matched their workflow name, job key or environment (matched="true": deploy jobs).',
    labelNames: ["matched"],
    registers,
  });
  const leadTime = new Histogram<string>({
    name: "github_runner_deploy_lead_time_seconds",
    help: "Lead time for changes of successful deploy jobs: from the pushed commit's timestamp in the event payload to the deploy job's completion.",
    labelNames: [...o.jobLabelNames],
    buckets: DEPLOY_BUCKETS,
    registers,
  });
  const recoveryTime = new Histogram<string>({
    name: "github_runner_deploy_recovery_time_seconds",
    help: "Pipeline recovery time seen by this runner: from a failed deploy job to the next successful deploy of the same repository and workflow.",
    labelNames: [...o.jobLabelNames],
    buckets: DEPLOY_BUCKETS,
    registers,
  });
  for (const matched of ["true", "false"]) classified.inc({ matched }, 0);
  const seed = (labels: JobLabels) => {
    for (const status of JOB_STATUSES) deployments.inc({ result: status, ...labels }, 0);
    leadTime.zero({ ...labels });
    recoveryTime.zero({ ...labels });
  };
  // A job without context is never a deploy: with job labels, series start per repository and workflow as jobs arrive.
  if (o.jobLabelNames.length === 0) seed({});

  return {
    names: [deployments, classified, leadTime, recoveryTime].map(nameOf),
    observe: (change) => {
      seedWhenLabelled(change, seed);
      if (change.type === "deploy-classified") classified.inc({ matched: String(change.matched) });
      else if (change.type === "deploy-finished") {
        deployments.inc({ result: change.status, ...change.labels });
        if (change.leadTimeSeconds !== undefined) leadTime.observe({ ...change.labels }, change.leadTimeSeconds);
        if (change.recoverySeconds !== undefined) recoveryTime.observe({ ...change.labels }, change.recoverySeconds);
      }
    },
  };
}
