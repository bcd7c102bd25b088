import { closeSync, constants, openSync, readSync } from "node:fs";
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

/** The container's cgroup, read through small bounded reads of files the kernel makes in memory (keptFiles). */
export interface Cgroup {
  readonly layout: CgroupLayout;
  /** Every cumulative figure at once; a file that cannot be read leaves its figures undefined. */
  snapshot(): CgroupSnapshot;
  /** Memory in use now (v2 memory.current, v1 memory.usage_in_bytes): the sampled figure. */
  memoryNow(): number | undefined;
  limits(): Promise<CgroupLimits>;
}

/** An opened cgroup with what its first snapshot offered, or why there is none. */
export type OpenedCgroup =
  { readonly cgroup: Cgroup; readonly first: CgroupSnapshot; readonly limits: CgroupLimits } | { readonly absent: string };

// The files read are a few lines each (io.stat: one per device); anything longer is cut here.
const MAX_FILE_BYTES = 64 * 1024;

/** A file's text (opened, read, closed), at most MAX_FILE_BYTES of it; undefined when it cannot be read. */
export async function readBounded(path: string): Promise<string | undefined> {
  let handle;
  try {
    handle = await open(path, "r");
    let buffer: Buffer = Buffer.allocUnsafe(4096);
    let length = 0;
    for (;;) {
      if (length === buffer.length) {
        if (length >= MAX_FILE_BYTES) break;
        buffer = grown(buffer);
      }
      const { bytesRead } = await handle.read(buffer, length, buffer.length - length, length);
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

/** A buffer twice as long (at most MAX_FILE_BYTES) holding `buffer`: a file longer than 4 KiB is rare. */
function grown(buffer: Buffer): Buffer {
  const larger = Buffer.allocUnsafe(Math.min(buffer.length * 2, MAX_FILE_BYTES));
  buffer.copy(larger);
  return larger;
}

/**
 * Reads cgroup files, each opened once and kept, synchronously from offset 0. The kernel renders a
 * cgroup file afresh at each such read, in memory (no disk, nothing to wait on): a snapshot read so
 * costs about 14 µs of CPU, against 330 µs when each file is opened, read and closed
 * asynchronously, most of which is the main thread's own promise work (cgroup v1, six files, this
 * machine). Opened non-blocking, so a FIFO where a file should be is an error, never a wait. A
 * file that does not exist is not looked for again (a cgroup's files come with it); one whose read
 * fails is closed and opened again next time.
 */
export function keptFiles(): (path: string) => string | undefined {
  const descriptors = new Map<string, number | "absent">();
  let buffer: Buffer = Buffer.allocUnsafe(4096);
  return (path) => {
    let fd = descriptors.get(path);
    if (fd === "absent") return undefined;
    try {
      if (fd === undefined) {
        fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
        descriptors.set(path, fd);
      }
      let length = 0;
      for (;;) {
        if (length === buffer.length) {
          if (length >= MAX_FILE_BYTES) break;
          buffer = grown(buffer);
        }
        const read = readSync(fd, buffer, length, buffer.length - length, length);
        if (read === 0) break;
        length += read;
      }
      return buffer.toString("utf8", 0, length);
    } catch (error) {
      if (fd === undefined) {
        if ((error as NodeJS.ErrnoException).code === "ENOENT") descriptors.set(path, "absent");
      } else {
        descriptors.delete(path);
        try {
          closeSync(fd);
        } catch {
          // Already closed: nothing to give back.
        }
      }
      return undefined;
    }
  };
}

/** Finds and opens this process's cgroup (procDir: /proc/self, or a test's copy). */
export async function openCgroup(procDir = "/proc/self"): Promise<OpenedCgroup> {
  const [procCgroup, mountinfo] = await Promise.all([readBounded(`${procDir}/cgroup`), readBounded(`${procDir}/mountinfo`)]);
  if (procCgroup === undefined || mountinfo === undefined) return { absent: `cannot read ${procDir}/cgroup and ${procDir}/mountinfo` };
  const located = locateCgroup(procCgroup, mountinfo);
  if (!located.ok) return { absent: located.reason };
  const cgroup = located.layout.version === 2 ? v2(located.layout.dir) : v1(located.layout.dirs);
  const first = cgroup.snapshot();
  const limits = await cgroup.limits();
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

function v2(dir: string): Cgroup {
  const read = keptFiles();
  const keyed = (path: string) => {
    const text = read(path);
    return text === undefined ? undefined : parseFlatKeyed(text);
  };
  const single = (path: string) => {
    const text = read(path);
    return text === undefined ? undefined : parseSingleValue(text);
  };
  const pressure = (resource: PressureResource) => {
    const text = read(`${dir}/${resource}.pressure`);
    return scaled(text === undefined ? undefined : parsePressureSomeTotal(text), 1e6);
  };
  const memoryNow = () => single(`${dir}/memory.current`);
  return {
    layout: { version: 2, dir },
    memoryNow,
    snapshot: () => {
      const cpu = keyed(`${dir}/cpu.stat`);
      const events = keyed(`${dir}/memory.events`);
      const io = read(`${dir}/io.stat`);
      const pressureSeconds: Partial<Record<PressureResource, number>> = {};
      for (const resource of PRESSURE_RESOURCES) {
        const stalled = pressure(resource);
        if (stalled !== undefined) pressureSeconds[resource] = stalled;
      }
      return {
        cpuSeconds: scaled(cpu?.get("usage_usec"), 1e6),
        throttledSeconds: scaled(cpu?.get("throttled_usec"), 1e6),
        memoryPeakBytes: single(`${dir}/memory.peak`),
        memoryCurrentBytes: memoryNow(),
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
  const read = keptFiles();
  const file = (dir: string | undefined, name: string) => (dir === undefined ? undefined : read(`${dir}/${name}`));
  const value = (dir: string | undefined, name: string) => {
    const text = file(dir, name);
    return text === undefined ? undefined : parseSingleValue(text);
  };
  const memoryNow = () => value(dirs.memory, "memory.usage_in_bytes");
  return {
    layout: { version: 1, dirs },
    memoryNow,
    snapshot: () => {
      const cpu = file(dirs.cpu, "cpu.stat");
      const oom = file(dirs.memory, "memory.oom_control");
      // The recursive file counts the cgroup's descendants too; older kernels fill only the other.
      const io = file(dirs.blkio, "blkio.throttle.io_service_bytes_recursive") ?? file(dirs.blkio, "blkio.throttle.io_service_bytes");
      return {
        cpuSeconds: scaled(value(dirs.cpuacct, "cpuacct.usage"), 1e9),
        throttledSeconds: scaled(cpu === undefined ? undefined : parseFlatKeyed(cpu).get("throttled_time"), 1e9),
        memoryPeakBytes: value(dirs.memory, "memory.max_usage_in_bytes"),
        memoryCurrentBytes: memoryNow(),
        oomKills: oom === undefined ? undefined : parseFlatKeyed(oom).get("oom_kill"),
        io: io === undefined ? undefined : parseBlkioServiceBytes(io),
        pressureSeconds: {},
      };
    },
    limits: async () => {
      const once = (dir: string | undefined, name: string) => (dir === undefined ? undefined : readBounded(`${dir}/${name}`));
      const [memory, quota, period] = await Promise.all([
        once(dirs.memory, "memory.limit_in_bytes"),
        once(dirs.cpu, "cpu.cfs_quota_us"),
        once(dirs.cpu, "cpu.cfs_period_us"),
      ]);
      return {
        memoryBytes: memory === undefined ? undefined : parseMemoryLimit(memory),
        cpus: quota === undefined || period === undefined ? undefined : cpusOfQuota(quota, period),
      };
    },
  };
}
