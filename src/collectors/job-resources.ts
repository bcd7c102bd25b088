import { Counter, Gauge, Histogram } from "../metrics/prom-client.js";
import { PEAK_SOURCES } from "../cgroup/usage.js";
import type { OptionValues } from "../config/config.js";
import type { CgroupOffers, JobLabels, JobOutcome } from "../observation.js";
import type { Collector, JobLabelling, Registers } from "./collector.js";

const NAMES = {
  cpu: "github_runner_job_cpu_seconds",
  memory: "github_runner_job_memory_peak_bytes",
  peakSource: "github_runner_job_memory_peak_source_total",
  read: "github_runner_job_read_bytes_total",
  written: "github_runner_job_written_bytes_total",
  throttled: "github_runner_job_cpu_throttled_seconds_total",
  pressure: "github_runner_job_pressure_stalled_seconds_total",
  oomKills: "github_runner_job_oom_kills_total",
  memoryLimit: "github_runner_container_memory_limit_bytes",
  cpuLimit: "github_runner_container_cpu_limit_cores",
} as const;

/**
 * What each job used of the container's cgroup (docs/JOB_RESOURCES.md): CPU and peak memory per
 * job as histograms, the rest as counters summed over jobs, and the container's limits. Nothing
 * is registered until the cgroup is found, and each metric only where the kernel offers its
 * figure: without a cgroup every one of them is absent.
 */
export function jobResourcesCollector(
  o: JobLabelling & Pick<OptionValues, "jobCpuBuckets" | "jobMemoryBuckets">,
  registers: Registers,
): Collector {
  let update: ((outcome: JobOutcome) => void) | undefined;
  let seed: ((labels: JobLabels) => void) | undefined;

  const open = (offers: CgroupOffers, limits: { memoryBytes: number | undefined; cpus: number | undefined }): void => {
    const cpu = offers.cpu
      ? new Histogram<string>({
          name: NAMES.cpu,
          help: "CPU time the container's cgroup used during each job (Running job line to completed line): every process in the container, the runner's own included.",
          labelNames: [...o.jobLabelNames],
          buckets: [...o.jobCpuBuckets],
          registers,
        })
      : undefined;
    const memory = offers.memory
      ? new Histogram<string>({
          name: NAMES.memory,
          help: "Highest memory use of the container's cgroup during each job: the cgroup's peak when it rose during the job, else the highest of samples taken every second (source in github_runner_job_memory_peak_source_total).",
          labelNames: [...o.jobLabelNames],
          buckets: [...o.jobMemoryBuckets],
          registers,
        })
      : undefined;
    const peakSource = offers.memory
      ? new Counter({
          name: NAMES.peakSource,
          help: "Jobs whose peak memory came from the cgroup's own peak (cgroup_peak) or from samples (samples).",
          labelNames: ["source"] as const,
          registers,
        })
      : undefined;
    const counter = (on: boolean, name: string, help: string) => (on ? new Counter({ name, help, registers }) : undefined);
    const read = counter(offers.io, NAMES.read, "Bytes the container's cgroup read from block devices during jobs, summed over jobs.");
    const written = counter(offers.io, NAMES.written, "Bytes the container's cgroup wrote to block devices during jobs, summed over jobs.");
    const throttled = counter(
      offers.throttling,
      NAMES.throttled,
      "Time the container's cgroup was throttled by its CPU limit during jobs, summed over jobs.",
    );
    const oomKills = counter(
      offers.oomKills,
      NAMES.oomKills,
      "Processes the kernel's OOM killer killed in the container's cgroup during jobs.",
    );
    const pressure =
      offers.pressure.length > 0
        ? new Counter({
            name: NAMES.pressure,
            help: "Time in which some task of the container's cgroup stalled on the resource (the kernel's pressure stall information, 'some' line) during jobs, summed over jobs.",
            labelNames: ["resource"] as const,
            registers,
          })
        : undefined;
    for (const source of PEAK_SOURCES) peakSource?.inc({ source }, 0);
    for (const resource of offers.pressure) pressure?.inc({ resource }, 0);
    if (limits.memoryBytes !== undefined)
      new Gauge({
        name: NAMES.memoryLimit,
        help: "The container's memory limit (its cgroup's memory.max or memory.limit_in_bytes); absent without one.",
        registers,
      }).set(limits.memoryBytes);
    if (limits.cpus !== undefined)
      new Gauge({
        name: NAMES.cpuLimit,
        help: "The CPUs the container's CPU quota allows (cpu.max or cpu.cfs_quota_us over its period); absent without one.",
        registers,
      }).set(limits.cpus);

    seed = (labels) => {
      cpu?.zero({ ...labels });
      memory?.zero({ ...labels });
    };
    seed(o.unknownJobLabels);
    update = ({ usage, labels }) => {
      if (!usage) return;
      if (usage.cpuSeconds !== undefined) cpu?.observe({ ...labels }, usage.cpuSeconds);
      if (usage.memoryPeakBytes !== undefined) memory?.observe({ ...labels }, usage.memoryPeakBytes);
      if (usage.memoryPeakSource !== undefined) peakSource?.inc({ source: usage.memoryPeakSource });
      if (usage.readBytes !== undefined) read?.inc(usage.readBytes);
      if (usage.writtenBytes !== undefined) written?.inc(usage.writtenBytes);
      if (usage.throttledSeconds !== undefined) throttled?.inc(usage.throttledSeconds);
      if (usage.oomKills !== undefined) oomKills?.inc(usage.oomKills);
      for (const [resource, seconds] of Object.entries(usage.pressureSeconds)) pressure?.inc({ resource }, seconds);
    };
  };

  return {
    names: Object.values(NAMES),
    observe: (change) => {
      if (change.type === "cgroup-opened" && !update) open(change.offers, change.limits);
      else if (change.type === "job-labelled" && Object.keys(change.labels).length > 0) seed?.(change.labels);
      else if (change.type === "job-outcome") update?.(change);
    },
  };
}
