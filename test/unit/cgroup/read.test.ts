// The file-reading layer on a cgroup v2 directory laid out as the kernel lays it out (a temporary
// copy: this machine runs cgroup v1), and on this machine's own cgroup, whatever it is.
import { spawn, spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { keptFiles, openCgroup, readBounded } from "../../../src/cgroup/read.js";

const scratch = mkdtempSync(join(tmpdir(), "cgroup-read-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** A proc directory whose cgroup and mountinfo point at a cgroup2 mount in scratch holding these files. */
function v2Tree(files: Record<string, string>): string {
  const proc = join(scratch, `proc-${Math.random().toString(36).slice(2)}`);
  const mount = join(proc, "sys-fs-cgroup");
  mkdirSync(join(mount, "runner.slice"), { recursive: true });
  writeFileSync(join(proc, "cgroup"), "0::/runner.slice\n");
  writeFileSync(join(proc, "mountinfo"), `25 20 0:22 / ${mount} ro,nosuid - cgroup2 cgroup2 rw\n`);
  for (const [name, text] of Object.entries(files)) writeFileSync(join(mount, "runner.slice", name), text);
  return proc;
}

describe("reading the cgroup", () => {
  it("v2: every figure, and the limits", async () => {
    const proc = v2Tree({
      "cpu.stat": "usage_usec 4000000\nuser_usec 3000000\nsystem_usec 1000000\nnr_periods 10\nnr_throttled 2\nthrottled_usec 250000\n",
      "memory.current": "104857600\n",
      "memory.peak": "209715200\n",
      "memory.max": "536870912\n",
      "memory.events": "low 0\nhigh 0\nmax 3\noom 1\noom_kill 1\noom_group_kill 0\n",
      "io.stat": "8:0 rbytes=4096 wbytes=8192 rios=1 wios=2 dbytes=0 dios=0\n",
      "cpu.max": "200000 100000\n",
      "cpu.pressure": "some avg10=0.00 avg60=0.00 avg300=0.00 total=1500000\nfull avg10=0.00 avg60=0.00 avg300=0.00 total=0\n",
      "memory.pressure": "some avg10=0.00 avg60=0.00 avg300=0.00 total=0\nfull avg10=0.00 avg60=0.00 avg300=0.00 total=0\n",
    });
    const opened = await openCgroup(proc);
    if (!("cgroup" in opened)) throw new Error(opened.absent);
    expect(opened.first).toEqual({
      cpuSeconds: 4,
      throttledSeconds: 0.25,
      memoryPeakBytes: 209715200,
      memoryCurrentBytes: 104857600,
      oomKills: 1,
      io: { read: 4096, written: 8192 },
      pressureSeconds: { cpu: 1.5, memory: 0 },
    });
    expect(opened.limits).toEqual({ memoryBytes: 536870912, cpus: 2 });
    expect(opened.cgroup.memoryNow()).toBe(104857600);
  });

  it("v2 without a limit, memory.peak (before 5.19) or pressure files: those figures are undefined", async () => {
    const opened = await openCgroup(
      v2Tree({ "cpu.stat": "usage_usec 1\n", "memory.current": "1\n", "memory.max": "max\n", "cpu.max": "max 100000\n" }),
    );
    if (!("cgroup" in opened)) throw new Error(opened.absent);
    expect(opened.first.memoryPeakBytes).toBeUndefined();
    expect(opened.first.throttledSeconds).toBeUndefined();
    expect(opened.first.pressureSeconds).toEqual({});
    expect(opened.limits).toEqual({ memoryBytes: undefined, cpus: undefined });
  });

  it("absent, saying why, when the files cannot be read", async () => {
    expect(await openCgroup(join(scratch, "no-such-proc"))).toEqual({
      absent: `cannot read ${join(scratch, "no-such-proc")}/cgroup and ${join(scratch, "no-such-proc")}/mountinfo`,
    });
    const empty = await openCgroup(v2Tree({}));
    expect("absent" in empty && empty.absent).toMatch(
      /^found cgroup v2 at .*runner\.slice but can read neither its CPU usage nor its memory use$/,
    );
  });

  it("reads at most 64 KiB of a file", async () => {
    const big = join(scratch, "big");
    writeFileSync(big, "x".repeat(200_000));
    expect((await readBounded(big))?.length).toBe(64 * 1024);
  });

  it("a kept file is read afresh from its start each time; one that does not exist is not looked for again", () => {
    const dir = join(scratch, `kept-${Math.random().toString(36).slice(2)}`);
    mkdirSync(dir);
    const read = keptFiles();
    writeFileSync(join(dir, "memory.current"), "1000\n");
    expect(read(join(dir, "memory.current"))).toBe("1000\n");
    // The kernel rewrites a cgroup file in place, as writeFileSync does here (same inode, shorter text).
    writeFileSync(join(dir, "memory.current"), "7\n");
    expect(read(join(dir, "memory.current"))).toBe("7\n");
    expect(read(join(dir, "memory.peak"))).toBeUndefined();
    writeFileSync(join(dir, "memory.peak"), "9\n");
    expect(read(join(dir, "memory.peak"))).toBeUndefined();
  });

  it("a FIFO where a cgroup file should be is never waited on, with or without a writer holding it", () => {
    const dir = join(scratch, `fifo-${Math.random().toString(36).slice(2)}`);
    mkdirSync(dir);
    const fifo = join(dir, "memory.current");
    expect(spawnSync("mkfifo", [fifo]).status).toBe(0);
    const read = keptFiles();
    expect(read(fifo) ?? "").toBe("");
    // A writer that holds the FIFO open and writes nothing: the read fails at once (EAGAIN).
    const writer = spawn("sh", ["-c", `exec 3>"$0"; sleep 30`, fifo], { stdio: "ignore" });
    try {
      const t0 = Date.now();
      for (let i = 0; i < 3; i++) expect(read(fifo) ?? "").toBe("");
      expect(Date.now() - t0).toBeLessThan(5_000);
    } finally {
      writer.kill("SIGKILL");
    }
  });

  it("this machine's own cgroup (v1 or v2): found from /proc/self, with CPU and memory", async () => {
    const opened = await openCgroup();
    if (!("cgroup" in opened)) throw new Error(`no cgroup here: ${opened.absent}`);
    expect(opened.first.cpuSeconds).toBeGreaterThan(0);
    expect(opened.first.memoryCurrentBytes).toBeGreaterThan(0);
  });
});
