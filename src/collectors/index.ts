import type { OptionValues } from "../config/config.js";
import { labelsOfUnknownJob } from "../enrich/labels.js";
import type { Clock } from "../common/clock.js";
import { cacheCollector } from "./cache.js";
import { channelCollector } from "./channel.js";
import type { Collector, Registers } from "./collector.js";
import { deploysCollector } from "./deploys.js";
import { jobOutcomesCollector } from "./job-outcomes.js";
import { jobPhasesCollector } from "./job-phases.js";
import { jobResourcesCollector } from "./job-resources.js";
import { jobsCollector } from "./jobs.js";
import { listenerCollector } from "./listener.js";
import { processCollector } from "./process.js";
import { queueTimeCollector } from "./queue-time.js";
import { runnerStatusCollector } from "./runner-status.js";
import { supervisorCollector } from "./supervisor.js";
import { tracesCollector } from "./traces.js";

export type CollectorsOptions = Pick<
  OptionValues,
  | "runnerVersion"
  | "jobDurationBuckets"
  | "jobPhaseBuckets"
  | "jobCpuBuckets"
  | "jobMemoryBuckets"
  | "queueTimeBuckets"
  | "cacheTypes"
  | "jobLabels"
  | "deployPattern"
> & {
  /** Whether the supervisor's traces are on (their spans' outcomes are counted then only). */
  readonly traces: boolean;
  readonly supervisorVersion: string;
};

/** Every collector the configuration turns on, in the order their metrics are exposed. */
export function createCollectors(o: CollectorsOptions, registers: Registers, clock: Clock): Collector[] {
  const jobLabels = { jobLabelNames: o.jobLabels, unknownJobLabels: labelsOfUnknownJob(o.jobLabels) };
  return [
    runnerStatusCollector(o, registers, clock),
    jobsCollector({ ...jobLabels, jobDurationBuckets: o.jobDurationBuckets }, registers),
    jobPhasesCollector({ ...jobLabels, jobPhaseBuckets: o.jobPhaseBuckets }, registers),
    jobOutcomesCollector(registers),
    jobResourcesCollector({ ...jobLabels, jobCpuBuckets: o.jobCpuBuckets, jobMemoryBuckets: o.jobMemoryBuckets }, registers),
    listenerCollector(registers),
    queueTimeCollector({ ...jobLabels, queueTimeBuckets: o.queueTimeBuckets }, registers),
    cacheCollector(o, registers),
    ...(o.deployPattern ? [deploysCollector(jobLabels, registers)] : []),
    channelCollector(registers),
    ...(o.traces ? [tracesCollector(registers)] : []),
    supervisorCollector(o, registers),
    processCollector(registers),
  ];
}
