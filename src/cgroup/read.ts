import { open } from "node:fs/promises";
import { locateCgroup, type CgroupLayout } from "./locate.js";
import {
  cpusOfQuota,
  parseBlkioServiceBytes,
  parseCpuMax,
  parseFlatKeyed,
  parseIoStat,
  parseMemoryLimit,
  parsePressureSomeTotal,
  parseSingleValue,
  type IoBytes,
} from "./parse.js";

/** The kinds of stall the kernel's pressure files report (cgroup v2 with PSI). */
export const PRESSURE_RESOURCES = ["cpu", "memory", "io"] as const;
export type PressureResource = (typeof PRESSURE_RESOURCES)[number];

/** The container's cumulative figures at one moment; a figure the kernel does not offer is undefined. */
export interface CgroupSnapshot {
  readonly cpuSeconds: number | undefined;
  readonly throttledSeconds: number | undefined;
  /** Highest memory use since the cgroup was made (v2 memory.peak, v1 memory.max_usage_in_bytes). */
  readonly memoryPeakBytes: number | undefined;
  readonly memoryCurrentBytes: number | undefined;
  readonly oomKills: number | undefined;
  readonly io: IoBytes | undefined;
  /** Seconds in which some task stalled on each resource. */
  readonly pressureSeconds: Readonly<Partial<Record<PressureResource, number>>>;
}

/** The container's limits, where the cgroup has them. */
export interface CgroupLimits {
  readonly memoryBytes: number | undefined;
  readonly cpus: number | undefined;
}

/** The container's cgroup, read through small bounded file reads that never block the main thread. */
export interface Cgroup {
  readonly layout: CgroupLayout;
  /** Every cumulative figure at once. */
  snapshot(): Promise<CgroupSnapshot>;
  /** Memory in use now (v2 memory.current, v1 memory.usage_in_bytes): the sampled figure. */
  memoryNow(): Promise<number | undefined>;
  limits(): Promise<CgroupLimits>;
}

/** An opened cgroup with what its first snapshot offered, or why there is none. */
export type OpenedCgroup =
  { readonly cgroup: Cgroup; readonly first: CgroupSnapshot; readonly limits: CgroupLimits } | { readonly absent: string };

// The files read are a few lines each (io.stat: one per device); anything longer is cut here.
const MAX_FILE_BYTES = 64 * 1024;

/**
 * A file's text, at most MAX_FILE_BYTES of it; undefined when it cannot be read. The buffer starts
 * at 4 KiB and doubles only for a longer file: a 64 KiB buffer for every read made the snapshots'
 * garbage enough to lengthen collections measurably (test/e2e/job-context/phases.test.ts).
 */
export async function readBounded(path: string): Promise<string | undefined> {
  let handle;
  try {
    handle = await open(path, "r");
    let buffer = Buffer.allocUnsafe(4096);
    let length = 0;
    for (;;) {
      if (length === buffer.length) {
        if (length >= MAX_FILE_BYTES) break;
        const larger = Buffer.allocUnsafe(Math.min(buffer.length * 2, MAX_FILE_BYTES));
        buffer.copy(larger, 0, 0, length);
        buffer = larger;
      }
      const { bytesRead } = await handle.read(buffer, length, buffer.length - length, null);
      if (bytesRead === 0) break;
      length += bytesRead;
    }
    return buffer.toString("utf8", 0, length);
  } catch {
    return undefined;
  } finally {
    await handle?.close().catch(() => undefined);
  }
}

/** Finds and opens this process's cgroup (procDir: /proc/self, or a test's copy). */
export async function openCgroup(procDir = "/proc/self"): Promise<OpenedCgroup> {
  const [procCgroup, mountinfo] = await Promise.all([readBounded(`${procDir}/cgroup`), readBounded(`${procDir}/mountinfo`)]);
  if (procCgroup === undefined || mountinfo === undefined) return { absent: `cannot read ${procDir}/cgroup and ${procDir}/mountinfo` };
  const located = locateCgroup(procCgroup, mountinfo);
  if (!located.ok) return { absent: located.reason };
  const cgroup = located.layout.version === 2 ? v2(located.layout.dir) : v1(located.layout.dirs);
  const [first, limits] = await Promise.all([cgroup.snapshot(), cgroup.limits()]);
  if (first.cpuSeconds === undefined && first.memoryCurrentBytes === undefined) {
    return { absent: `found ${where(located.layout)} but can read neither its CPU usage nor its memory use` };
  }
  return { cgroup, first, limits };
}

/** Where the cgroup was found, for the start-up line. */
export function where(layout: CgroupLayout): string {
  return layout.version === 2
    ? `cgroup v2 at ${layout.dir}`
    : `cgroup v1 at ${Object.values(layout.dirs)[0] ?? "?"} (and its other controllers)`;
}

const scaled = (value: number | undefined, divisor: number) => (value === undefined ? undefined : value / divisor);
const keyed = async (path: string) => {
  const text = await readBounded(path);
  return text === undefined ? undefined : parseFlatKeyed(text);
};
const single = async (path: string) => {
  const text = await readBounded(path);
  return text === undefined ? undefined : parseSingleValue(text);
};

function v2(dir: string): Cgroup {
  const pressure = async (resource: PressureResource) => {
    const text = await readBounded(`${dir}/${resource}.pressure`);
    return scaled(text === undefined ? undefined : parsePressureSomeTotal(text), 1e6);
  };
  const memoryNow = () => single(`${dir}/memory.current`);
  return {
    layout: { version: 2, dir },
    memoryNow,
    snapshot: async () => {
      const [cpu, events, peak, current, io, ...stalls] = await Promise.all([
        keyed(`${dir}/cpu.stat`),
        keyed(`${dir}/memory.events`),
        single(`${dir}/memory.peak`),
        memoryNow(),
        readBounded(`${dir}/io.stat`),
        ...PRESSURE_RESOURCES.map(pressure),
      ]);
      const pressureSeconds: Partial<Record<PressureResource, number>> = {};
      PRESSURE_RESOURCES.forEach((resource, i) => {
        if (stalls[i] !== undefined) pressureSeconds[resource] = stalls[i];
      });
      return {
        cpuSeconds: scaled(cpu?.get("usage_usec"), 1e6),
        throttledSeconds: scaled(cpu?.get("throttled_usec"), 1e6),
        memoryPeakBytes: peak,
        memoryCurrentBytes: current,
        oomKills: events?.get("oom_kill"),
        io: io === undefined ? undefined : parseIoStat(io),
        pressureSeconds,
      };
    },
    limits: async () => {
      const [memory, cpu] = await Promise.all([readBounded(`${dir}/memory.max`), readBounded(`${dir}/cpu.max`)]);
      return {
        memoryBytes: memory === undefined ? undefined : parseMemoryLimit(memory),
        cpus: cpu === undefined ? undefined : parseCpuMax(cpu),
      };
    },
  };
}

function v1(dirs: Extract<CgroupLayout, { version: 1 }>["dirs"]): Cgroup {
  const file = async (dir: string | undefined, name: string) => (dir === undefined ? undefined : readBounded(`${dir}/${name}`));
  const value = async (dir: string | undefined, name: string) => {
    const text = await file(dir, name);
    return text === undefined ? undefined : parseSingleValue(text);
  };
  const memoryNow = () => value(dirs.memory, "memory.usage_in_bytes");
  return {
    layout: { version: 1, dirs },
    memoryNow,
    snapshot: async () => {
      const [usage, cpu, peak, current, oom, io] = await Promise.all([
        value(dirs.cpuacct, "cpuacct.usage"),
        file(dirs.cpu, "cpu.stat"),
        value(dirs.memory, "memory.max_usage_in_bytes"),
        memoryNow(),
        file(dirs.memory, "memory.oom_control"),
        // The recursive file counts the cgroup's descendants too; older kernels fill only the other.
        file(dirs.blkio, "blkio.throttle.io_service_bytes_recursive").then((t) => t ?? file(dirs.blkio, "blkio.throttle.io_service_bytes")),
      ]);
      return {
        cpuSeconds: scaled(usage, 1e9),
        throttledSeconds: scaled(cpu === undefined ? undefined : parseFlatKeyed(cpu).get("throttled_time"), 1e9),
        memoryPeakBytes: peak,
        memoryCurrentBytes: current,
        oomKills: oom === undefined ? undefined : parseFlatKeyed(oom).get("oom_kill"),
        io: io === undefined ? undefined : parseBlkioServiceBytes(io),
        pressureSeconds: {},
      };
    },
    limits: async () => {
      const [memory, quota, period] = await Promise.all([
        file(dirs.memory, "memory.limit_in_bytes"),
        file(dirs.cpu, "cpu.cfs_quota_us"),
        file(dirs.cpu, "cpu.cfs_period_us"),
      ]);
      return {
        memoryBytes: memory === undefined ? undefined : parseMemoryLimit(memory),
        cpus: quota === undefined || period === undefined ? undefined : cpusOfQuota(quota, period),
      };
    },
  };
}
