import { describe, expect, it } from "vitest";
import type { CgroupSnapshot } from "../../../src/cgroup/read.js";
import { usageBetween } from "../../../src/cgroup/usage.js";
import { causeOf } from "../../../src/runner/causes.js";

const MiB = 1024 * 1024;
const snap = (o: Partial<CgroupSnapshot>): CgroupSnapshot => ({
  cpuSeconds: undefined,
  throttledSeconds: undefined,
  memoryPeakBytes: undefined,
  memoryCurrentBytes: undefined,
  oomKills: undefined,
  io: undefined,
  pressureSeconds: {},
  ...o,
});

describe("a job's usage between its two snapshots", () => {
  it("differences of the cumulative figures", () => {
    const u = usageBetween(
      snap({ cpuSeconds: 10, throttledSeconds: 1, oomKills: 0, io: { read: 100, written: 200 }, pressureSeconds: { cpu: 2, io: 1 } }),
      snap({ cpuSeconds: 13.5, throttledSeconds: 1.25, oomKills: 1, io: { read: 150, written: 1200 }, pressureSeconds: { cpu: 3, io: 1 } }),
      undefined,
    );
    expect(u).toMatchObject({
      cpuSeconds: 3.5,
      throttledSeconds: 0.25,
      oomKills: 1,
      readBytes: 50,
      writtenBytes: 1000,
      pressureSeconds: { cpu: 1, io: 0 },
    });
  });

  it("the peak: the cgroup's own when it rose during the job", () => {
    const u = usageBetween(
      snap({ memoryPeakBytes: 300 * MiB, memoryCurrentBytes: 50 * MiB }),
      snap({ memoryPeakBytes: 420 * MiB, memoryCurrentBytes: 60 * MiB }),
      200 * MiB,
    );
    expect(u.memoryPeakBytes).toBe(420 * MiB);
    expect(u.memoryPeakSource).toBe("cgroup_peak");
  });

  it("the peak: the highest sample when the cgroup's peak was set before the job", () => {
    const u = usageBetween(
      snap({ memoryPeakBytes: 900 * MiB, memoryCurrentBytes: 50 * MiB }),
      snap({ memoryPeakBytes: 900 * MiB, memoryCurrentBytes: 60 * MiB }),
      200 * MiB,
    );
    expect(u.memoryPeakBytes).toBe(200 * MiB);
    expect(u.memoryPeakSource).toBe("samples");
    // No sample taken (a job shorter than a second): the higher of the two moments.
    expect(usageBetween(snap({ memoryCurrentBytes: 50 * MiB }), snap({ memoryCurrentBytes: 60 * MiB }), undefined).memoryPeakBytes).toBe(
      60 * MiB,
    );
  });

  it("a figure the kernel did not offer at both moments is undefined, never 0", () => {
    const u = usageBetween(snap({ cpuSeconds: 1 }), snap({}), undefined);
    expect(u.cpuSeconds).toBeUndefined();
    expect(u.memoryPeakBytes).toBeUndefined();
    expect(u.memoryPeakSource).toBeUndefined();
    expect(u.readBytes).toBeUndefined();
    expect(u.oomKills).toBeUndefined();
  });
});

describe("the cause of a job that did not succeed", () => {
  it("no cause for a success or a skipped job, even after an OOM kill or a stop", () => {
    expect(causeOf({ status: "success", oomKills: 1, stopped: true })).toBeUndefined();
    expect(causeOf({ status: "skipped", oomKills: 0, stopped: false })).toBeUndefined();
  });

  it("in order: an OOM kill, a stop, no completed line, the runner's result", () => {
    expect(causeOf({ status: "failed", oomKills: 2, stopped: true })).toBe("oom_killed");
    expect(causeOf({ status: "unknown", oomKills: 1, stopped: false })).toBe("oom_killed");
    expect(causeOf({ status: "cancelled", oomKills: 0, stopped: true })).toBe("runner_stopped");
    expect(causeOf({ status: "unknown", oomKills: 0, stopped: true })).toBe("runner_stopped");
    expect(causeOf({ status: "unknown", oomKills: 0, stopped: false })).toBe("runner_lost");
    expect(causeOf({ status: "cancelled", oomKills: undefined, stopped: false })).toBe("cancelled");
    expect(causeOf({ status: "abandoned", oomKills: 0, stopped: false })).toBe("abandoned");
    expect(causeOf({ status: "failed", oomKills: undefined, stopped: false })).toBe("job_failed");
  });
});
