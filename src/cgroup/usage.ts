import type { CgroupSnapshot, PressureResource } from "./read.js";

/** How a job's peak memory was found (the `source` label of github_runner_job_memory_peak_source_total). */
export type PeakSource = "cgroup_peak" | "samples";
export const PEAK_SOURCES: readonly PeakSource[] = ["cgroup_peak", "samples"];

/** What one job used of the container's cgroup, from its start to its end; a figure the kernel did not offer at both moments is undefined. */
export interface JobUsage {
  readonly cpuSeconds: number | undefined;
  readonly throttledSeconds: number | undefined;
  readonly memoryPeakBytes: number | undefined;
  readonly memoryPeakSource: PeakSource | undefined;
  readonly readBytes: number | undefined;
  readonly writtenBytes: number | undefined;
  readonly oomKills: number | undefined;
  readonly pressureSeconds: Readonly<Partial<Record<PressureResource, number>>>;
}

const delta = (start: number | undefined, end: number | undefined) =>
  start === undefined || end === undefined ? undefined : Math.max(0, end - start);

/**
 * A job's usage from the snapshots at its start and end and the highest memory sampled between.
 * The peak: the cgroup's own peak when it rose during the job (so the job reached it, and nothing
 * before did), otherwise the highest of the samples and the two snapshots' current figures.
 */
export function usageBetween(start: CgroupSnapshot, end: CgroupSnapshot, sampledMaxBytes: number | undefined): JobUsage {
  const rose = start.memoryPeakBytes !== undefined && end.memoryPeakBytes !== undefined && end.memoryPeakBytes > start.memoryPeakBytes;
  const seen = [sampledMaxBytes, start.memoryCurrentBytes, end.memoryCurrentBytes].filter((v): v is number => v !== undefined);
  const sampled = seen.length > 0 ? Math.max(...seen) : undefined;
  const pressureSeconds: Partial<Record<PressureResource, number>> = {};
  for (const [resource, endSeconds] of Object.entries(end.pressureSeconds) as [PressureResource, number][]) {
    const d = delta(start.pressureSeconds[resource], endSeconds);
    if (d !== undefined) pressureSeconds[resource] = d;
  }
  return {
    cpuSeconds: delta(start.cpuSeconds, end.cpuSeconds),
    throttledSeconds: delta(start.throttledSeconds, end.throttledSeconds),
    memoryPeakBytes: rose ? end.memoryPeakBytes : sampled,
    memoryPeakSource: rose ? "cgroup_peak" : sampled === undefined ? undefined : "samples",
    readBytes: delta(start.io?.read, end.io?.read),
    writtenBytes: delta(start.io?.written, end.io?.written),
    oomKills: delta(start.oomKills, end.oomKills),
    pressureSeconds,
  };
}
