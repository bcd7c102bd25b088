/**
 * Pure parsers of the kernel's cgroup files and of the two /proc files that say where the
 * process's cgroups are, in the formats of Documentation/admin-guide/cgroup-v2.rst, cgroup-v1/
 * and proc(5). Each takes the file's text and returns what it found; anything malformed is
 * skipped, never thrown, so a strange kernel costs a figure, not the supervisor.
 */

/** One line of /proc/self/cgroup: `ID:CONTROLLERS:PATH` (v2: `0::PATH`). */
export interface CgroupMembership {
  /** The v1 controllers of the hierarchy (["memory"], ["cpu", "cpuacct"]); [] for v2. */
  readonly controllers: readonly string[];
  readonly path: string;
  readonly v2: boolean;
}

/** The lines of /proc/self/cgroup. */
export function parseProcCgroup(text: string): CgroupMembership[] {
  const out: CgroupMembership[] = [];
  for (const line of text.split("\n")) {
    const m = /^(\d+):([^:]*):(\/.*)$/.exec(line.trim());
    if (!m) continue;
    const v2 = m[1] === "0" && m[2] === "";
    out.push({ controllers: v2 ? [] : m[2]!.split(",").filter(Boolean), path: m[3]!, v2 });
  }
  return out;
}

/** A cgroup mount from /proc/self/mountinfo. */
export interface CgroupMount {
  /** The directory of the hierarchy that is mounted (field 4: "/" or a container's own path). */
  readonly root: string;
  readonly mountPoint: string;
  readonly v2: boolean;
  /** v1: the controllers in the super options (cgroup rw,cpu,cpuacct). */
  readonly controllers: readonly string[];
}

// mountinfo escapes space, tab, newline and backslash in paths as octal (\040).
const unescape = (s: string) => s.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));
const NOT_CONTROLLERS = new Set(["rw", "ro", "nosuid", "nodev", "noexec", "relatime", "clone_children", "noprefix", "xattr"]);

/** The cgroup (v1) and cgroup2 mounts of /proc/self/mountinfo. */
export function parseCgroupMounts(text: string): CgroupMount[] {
  const out: CgroupMount[] = [];
  for (const line of text.split("\n")) {
    // ID PARENT MAJ:MIN ROOT MOUNTPOINT OPTIONS [OPTIONAL...] - FSTYPE SOURCE SUPEROPTIONS
    const [before, after] = line.split(" - ", 2);
    if (!before || !after) continue;
    const fields = before.split(" ");
    const [fsType, , superOptions = ""] = after.split(" ");
    if (fields.length < 6 || (fsType !== "cgroup" && fsType !== "cgroup2")) continue;
    const controllers = fsType === "cgroup" ? superOptions.split(",").filter((o) => !NOT_CONTROLLERS.has(o) && !o.includes("=")) : [];
    out.push({ root: unescape(fields[3]!), mountPoint: unescape(fields[4]!), v2: fsType === "cgroup2", controllers });
  }
  return out;
}

/** `KEY VALUE` lines (cpu.stat, memory.events, memory.oom_control, memory.stat) as numbers. */
export function parseFlatKeyed(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split("\n")) {
    const m = /^(\w+) (\d+)$/.exec(line.trim());
    if (m) out.set(m[1]!, Number(m[2]));
  }
  return out;
}

/** A file holding one number (cpuacct.usage, memory.peak); undefined for "max" or anything else. */
export function parseSingleValue(text: string): number | undefined {
  const v = text.trim();
  return /^\d{1,20}$/.test(v) ? Number(v) : undefined;
}

/** Bytes read and written, summed over devices. */
export interface IoBytes {
  readonly read: number;
  readonly written: number;
}

/** v2 io.stat: `MAJ:MIN rbytes=N wbytes=N rios=N ...` per device. */
export function parseIoStat(text: string): IoBytes {
  let read = 0;
  let written = 0;
  for (const line of text.split("\n")) {
    if (!/^\d+:\d+ /.test(line)) continue;
    for (const [, key, value] of line.matchAll(/\b(rbytes|wbytes)=(\d+)/g)) {
      if (key === "rbytes") read += Number(value);
      else written += Number(value);
    }
  }
  return { read, written };
}

/** v1 blkio.throttle.io_service_bytes: `MAJ:MIN Read N`, `MAJ:MIN Write N`, ... and `Total N`. */
export function parseBlkioServiceBytes(text: string): IoBytes {
  let read = 0;
  let written = 0;
  for (const line of text.split("\n")) {
    const m = /^\d+:\d+ (Read|Write) (\d+)$/.exec(line.trim());
    if (m?.[1] === "Read") read += Number(m[2]);
    else if (m) written += Number(m[2]);
  }
  return { read, written };
}

/** A *.pressure file's `some ... total=USEC`: microseconds in which some task stalled. */
export function parsePressureSomeTotal(text: string): number | undefined {
  const m = /^some .*\btotal=(\d+)\b/m.exec(text);
  return m ? Number(m[1]) : undefined;
}

/** v2 cpu.max (`QUOTA PERIOD` or `max PERIOD`): the CPUs the limit allows; undefined without one. */
export function parseCpuMax(text: string): number | undefined {
  const m = /^(\d+) (\d+)$/.exec(text.trim());
  return m && Number(m[2]) > 0 ? Number(m[1]) / Number(m[2]) : undefined;
}

/** v1 cpu.cfs_quota_us over cpu.cfs_period_us: the CPUs allowed; undefined without a quota (-1). */
export function cpusOfQuota(quotaText: string, periodText: string): number | undefined {
  const quota = /^-?\d+$/.exec(quotaText.trim()) ? Number(quotaText.trim()) : -1;
  const period = parseSingleValue(periodText);
  return quota > 0 && period ? quota / period : undefined;
}

// v1 says "no limit" with the largest page-aligned 64-bit value (9223372036854771712); anything
// this high is no limit either (a machine with 4 EiB of memory does not exist yet).
const NO_MEMORY_LIMIT = 2 ** 62;

/** v1 memory.limit_in_bytes or v2 memory.max: the limit in bytes; undefined for none ("max"). */
export function parseMemoryLimit(text: string): number | undefined {
  const v = parseSingleValue(text);
  return v !== undefined && v < NO_MEMORY_LIMIT ? v : undefined;
}
