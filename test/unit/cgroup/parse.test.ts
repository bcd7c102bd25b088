// The cgroup parsers on files in the formats the kernel documents (Documentation/admin-guide/
// cgroup-v2.rst, cgroup-v1/memory.rst, cgroup-v1/blkio-controller.rst, proc(5)).
import { describe, expect, it } from "vitest";
import {
  cpusOfQuota,
  parseBlkioServiceBytes,
  parseCgroupMounts,
  parseCpuMax,
  parseFlatKeyed,
  parseIoStat,
  parseMemoryLimit,
  parsePressureSomeTotal,
  parseProcCgroup,
  parseSingleValue,
} from "../../../src/cgroup/parse.js";

describe("the cgroup v2 files", () => {
  it("cpu.stat with a CPU limit", () => {
    const stat = parseFlatKeyed(
      "usage_usec 2051361\nuser_usec 1482305\nsystem_usec 569056\nnr_periods 212\nnr_throttled 38\nthrottled_usec 1534003\n",
    );
    expect(stat.get("usage_usec")).toBe(2051361);
    expect(stat.get("throttled_usec")).toBe(1534003);
  });

  it("memory.events, memory.current, memory.peak and memory.max", () => {
    expect(parseFlatKeyed("low 0\nhigh 0\nmax 12\noom 2\noom_kill 1\noom_group_kill 0\n").get("oom_kill")).toBe(1);
    expect(parseSingleValue("536870912\n")).toBe(536870912);
    expect(parseMemoryLimit("max\n")).toBeUndefined();
    expect(parseMemoryLimit("536870912\n")).toBe(536870912);
  });

  it("io.stat: bytes summed over devices", () => {
    const io = parseIoStat(
      "8:16 rbytes=1459200 wbytes=314773504 rios=192 wios=353 dbytes=0 dios=0\n8:0 rbytes=90430464 wbytes=299008000 rios=8950 wios=1252 dbytes=50331648 dios=3021\n",
    );
    expect(io).toEqual({ read: 1459200 + 90430464, written: 314773504 + 299008000 });
    expect(parseIoStat("")).toEqual({ read: 0, written: 0 });
  });

  it("*.pressure: the some line's total, in microseconds", () => {
    expect(
      parsePressureSomeTotal("some avg10=0.00 avg60=0.00 avg300=0.00 total=12345\nfull avg10=0.00 avg60=0.00 avg300=0.00 total=6789\n"),
    ).toBe(12345);
    expect(parsePressureSomeTotal("")).toBeUndefined();
  });

  it("cpu.max: the CPUs a quota allows, none for max", () => {
    expect(parseCpuMax("150000 100000\n")).toBe(1.5);
    expect(parseCpuMax("max 100000\n")).toBeUndefined();
  });
});

describe("the cgroup v1 files", () => {
  it("cpuacct.usage (ns), cpu.stat's throttled_time, memory.oom_control's oom_kill", () => {
    expect(parseSingleValue("2000493827\n")).toBe(2000493827);
    expect(parseFlatKeyed("nr_periods 5\nnr_throttled 2\nthrottled_time 120000000\n").get("throttled_time")).toBe(120000000);
    expect(parseFlatKeyed("oom_kill_disable 0\nunder_oom 0\noom_kill 1\n").get("oom_kill")).toBe(1);
  });

  it("memory.limit_in_bytes: the largest value means no limit", () => {
    expect(parseMemoryLimit("9223372036854771712\n")).toBeUndefined();
    expect(parseMemoryLimit("536870912\n")).toBe(536870912);
  });

  it("blkio.throttle.io_service_bytes: Read and Write lines summed, Total and the other operations left out", () => {
    const text =
      "8:0 Read 4096\n8:0 Write 8192\n8:0 Sync 8192\n8:0 Async 4096\n8:0 Discard 0\n8:0 Total 12288\n8:16 Read 100\n8:16 Write 0\nTotal 12388\n";
    expect(parseBlkioServiceBytes(text)).toEqual({ read: 4196, written: 8192 });
  });

  it("cpu.cfs_quota_us over cpu.cfs_period_us; -1 is no quota", () => {
    expect(cpusOfQuota("100000\n", "100000\n")).toBe(1);
    expect(cpusOfQuota("-1\n", "100000\n")).toBeUndefined();
  });
});

describe("where the cgroups are", () => {
  it("/proc/self/cgroup on a v2 host and on a hybrid v1 host", () => {
    expect(parseProcCgroup("0::/\n")).toEqual([{ controllers: [], path: "/", v2: true }]);
    const hybrid = parseProcCgroup("12:cpu,cpuacct:/docker/abc\n4:memory:/docker/abc\n1:name=systemd:/docker/abc\n0::/docker/abc\n");
    expect(hybrid[0]).toEqual({ controllers: ["cpu", "cpuacct"], path: "/docker/abc", v2: false });
    expect(hybrid.at(-1)).toEqual({ controllers: [], path: "/docker/abc", v2: true });
  });

  it("/proc/self/mountinfo: cgroup and cgroup2 mounts, with their roots, controllers and escaped paths", () => {
    const mounts = parseCgroupMounts(
      [
        "25 20 0:22 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime shared:4 - cgroup2 cgroup2 rw,nsdelegate,memory_recursiveprot",
        "35 31 0:32 /docker/abc /sys/fs/cgroup/memory ro,nosuid,nodev,noexec,relatime master:15 - cgroup cgroup rw,memory",
        "33 31 0:30 /docker/abc /sys/fs/cgroup/cpu,cpuacct ro,nosuid - cgroup cgroup rw,cpu,cpuacct",
        "40 31 0:37 / /mnt/with\\040space rw - cgroup cgroup rw,xattr,name=systemd",
        "22 1 8:1 / / rw,relatime - ext4 /dev/sda1 rw",
      ].join("\n"),
    );
    expect(mounts).toEqual([
      { root: "/", mountPoint: "/sys/fs/cgroup", v2: true, controllers: [] },
      { root: "/docker/abc", mountPoint: "/sys/fs/cgroup/memory", v2: false, controllers: ["memory"] },
      { root: "/docker/abc", mountPoint: "/sys/fs/cgroup/cpu,cpuacct", v2: false, controllers: ["cpu", "cpuacct"] },
      { root: "/", mountPoint: "/mnt/with space", v2: false, controllers: [] },
    ]);
  });

  it("skips malformed lines without throwing", () => {
    expect(parseProcCgroup("garbage\n::\n\u0000")).toEqual([]);
    expect(parseCgroupMounts("x - \n - cgroup2")).toEqual([]);
    expect(parseFlatKeyed("usage_usec notanumber\n")).toEqual(new Map());
  });
});
