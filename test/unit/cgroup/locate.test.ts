import { describe, expect, it } from "vitest";
import { locateCgroup } from "../../../src/cgroup/locate.js";

const V2_MOUNT = "25 20 0:22 / /sys/fs/cgroup ro,nosuid,nodev,noexec,relatime - cgroup2 cgroup2 rw,nsdelegate";

describe("finding the container's cgroup", () => {
  it("v2 with a private cgroup namespace (Docker's default on v2): the mount itself", () => {
    expect(locateCgroup("0::/\n", V2_MOUNT)).toEqual({ ok: true, layout: { version: 2, dir: "/sys/fs/cgroup" } });
  });

  it("v2 with the host's cgroup namespace: the path under the mount", () => {
    expect(locateCgroup("0::/system.slice/docker-abc.scope\n", V2_MOUNT)).toEqual({
      ok: true,
      layout: { version: 2, dir: "/sys/fs/cgroup/system.slice/docker-abc.scope" },
    });
  });

  it("v1 in Docker: each controller's mount shows the container's own directory", () => {
    const cgroup = "12:blkio:/docker/abc\n9:cpu,cpuacct:/docker/abc\n4:memory:/docker/abc\n1:name=systemd:/docker/abc\n0::/docker/abc\n";
    const mountinfo = [
      "31 23 0:28 / /sys/fs/cgroup ro - tmpfs tmpfs ro,mode=755",
      "33 31 0:30 /docker/abc /sys/fs/cgroup/cpu,cpuacct ro - cgroup cgroup rw,cpu,cpuacct",
      "35 31 0:32 /docker/abc /sys/fs/cgroup/memory ro - cgroup cgroup rw,memory",
      "38 31 0:35 /docker/abc /sys/fs/cgroup/blkio ro - cgroup cgroup rw,blkio",
      "41 31 0:38 /docker/abc /sys/fs/cgroup/unified ro - cgroup2 cgroup2 rw",
    ].join("\n");
    expect(locateCgroup(cgroup, mountinfo)).toEqual({
      ok: true,
      layout: {
        version: 1,
        dirs: {
          memory: "/sys/fs/cgroup/memory",
          cpuacct: "/sys/fs/cgroup/cpu,cpuacct",
          cpu: "/sys/fs/cgroup/cpu,cpuacct",
          blkio: "/sys/fs/cgroup/blkio",
        },
      },
    });
  });

  it("v1 on a host: the cgroup's path under each hierarchy's mount", () => {
    const cgroup = "4:memory:/process_api/b84\n2:cpuacct:/\n1:cpu:/\n0::/\n";
    const mountinfo = [
      "32 31 0:29 / /sys/fs/cgroup/cpu rw - cgroup cgroup rw,cpu",
      "33 31 0:30 / /sys/fs/cgroup/cpuacct rw - cgroup cgroup rw,cpuacct",
      "35 31 0:32 / /sys/fs/cgroup/memory rw - cgroup cgroup rw,memory",
    ].join("\n");
    expect(locateCgroup(cgroup, mountinfo)).toEqual({
      ok: true,
      layout: {
        version: 1,
        dirs: { memory: "/sys/fs/cgroup/memory/process_api/b84", cpuacct: "/sys/fs/cgroup/cpuacct", cpu: "/sys/fs/cgroup/cpu" },
      },
    });
  });

  it("says why when nothing is mounted where /proc/self/cgroup points", () => {
    expect(locateCgroup("", V2_MOUNT)).toEqual({ ok: false, reason: "/proc/self/cgroup names no cgroup" });
    expect(locateCgroup("0::/a\n", "1 0 0:1 / / rw - ext4 /dev/sda rw")).toEqual({
      ok: false,
      reason: "the cgroup v2 path /a is not under any cgroup2 mount in /proc/self/mountinfo",
    });
    // A mount of another part of the hierarchy does not show this cgroup.
    expect(locateCgroup("4:memory:/a\n", "35 31 0:32 /b /sys/fs/cgroup/memory ro - cgroup cgroup rw,memory").ok).toBe(false);
  });
});
