import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, readlinkSync, utimesSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { pidNamespacesInUse, writeOwnerRecord } from "../../../src/channel/owner-record.js";
import { openChannel, type Channel } from "../../../src/channel/socket.js";
import { sweepStaleHookDirs } from "../../../src/channel/stale-dirs.js";
import { childrenOf, removeTempDirs, tempDir, until } from "../../helpers/index.js";

let channel: Channel | undefined;
afterEach(async () => {
  await channel?.close();
  channel = undefined;
  removeTempDirs();
});

describe("cleaning up after killed supervisors", () => {
  const record = (dir: string, owner: { pid: number; start: string; pidNamespace?: string; bootId?: string }) =>
    writeFileSync(
      join(dir, "owner"),
      JSON.stringify({
        pidNamespace: readlinkSync("/proc/self/ns/pid"),
        bootId: readFileSync("/proc/sys/kernel/random/boot_id", "utf8").trim(),
        ...owner,
      }),
    );

  it("removes only directories whose owner is gone for sure, and never connects to a live supervisor's socket", async () => {
    const base = tempDir();
    const dirs = Object.fromEntries(
      ["dead", "reused", "live", "foreign", "unrecorded", "young"].map((n) => [n, join(base, `runner-supervisor-${n}`)]),
    );
    const other = join(base, "something-else");
    for (const d of [...Object.values(dirs), other]) mkdirSync(d);
    const exited = spawnSync("true");
    record(dirs.dead!, { pid: exited.pid, start: "1" });
    record(dirs.reused!, { pid: process.pid, start: "1" });
    writeOwnerRecord(dirs.live!);
    writeOwnerRecord(dirs.young!);
    record(dirs.foreign!, { pid: exited.pid, start: "1", pidNamespace: "pid:[1]" });
    // A live channel in the live directory: the sweep must not reach it (it would count a rejected message).
    let rejected = 0;
    channel = await openChannel(
      dirs.live!,
      () => undefined,
      () => rejected++,
    );
    const old = new Date(Date.now() - 120_000);
    for (const [name, dir] of Object.entries(dirs)) if (name !== "young") utimesSync(dir, old, old);

    // "foreign" names a PID namespace no process is in: from the initial namespace, with every
    // process readable, that is a namespace that has ended; anywhere else it cannot be told.
    const seesAll = readlinkSync("/proc/self/ns/pid") === "pid:[4026531836]" && pidNamespacesInUse() !== undefined;
    expect(sweepStaleHookDirs(base, 60_000)).toBe(seesAll ? 3 : 2);
    expect(existsSync(dirs.dead!)).toBe(false);
    expect(existsSync(dirs.reused!)).toBe(false);
    expect(existsSync(dirs.foreign!)).toBe(!seesAll);
    for (const kept of ["live", "unrecorded", "young"]) expect(existsSync(dirs[kept]!), kept).toBe(true);
    expect(existsSync(other)).toBe(true);
    await new Promise((r) => setTimeout(r, 100));
    expect(rejected).toBe(0);
  });

  it("sweeps a directory left by a PID namespace that has ended (a finished container or unshare), and keeps one whose namespace lives", async () => {
    if (readlinkSync("/proc/self/ns/pid") !== "pid:[4026531836]" || pidNamespacesInUse() === undefined) return;
    const base = tempDir();
    const ended = join(base, "runner-supervisor-ended");
    const alive = join(base, "runner-supervisor-alive");
    // A supervisor's directory written inside a PID namespace of its own, which then ended.
    const made = spawnSync(
      "unshare",
      [
        "--pid",
        "--fork",
        "--mount-proc",
        process.execPath,
        "-e",
        `
      const { mkdirSync, writeFileSync, readlinkSync, readFileSync } = require("node:fs");
      mkdirSync(${JSON.stringify(ended)});
      writeFileSync(${JSON.stringify(join(ended, "owner"))}, JSON.stringify({ pid: process.pid, start: "1", pidNamespace: readlinkSync("/proc/self/ns/pid"), bootId: readFileSync("/proc/sys/kernel/random/boot_id", "utf8").trim() }));
    `,
      ],
      { encoding: "utf8" },
    );
    expect(made.status, made.stderr).toBe(0);
    // A namespace that still runs: a sleeping process in it.
    const living = spawn("unshare", ["--pid", "--fork", "--kill-child", "sleep", "60"], { stdio: "ignore" });
    try {
      let ns = "";
      await until(
        () => {
          const kids = childrenOf(living.pid!);
          try {
            ns = kids.length ? readlinkSync(`/proc/${kids[0]}/ns/pid`) : "";
          } catch {
            ns = "";
          }
          return ns !== "" && ns !== readlinkSync("/proc/self/ns/pid");
        },
        10_000,
        "the living namespace",
      );
      mkdirSync(alive);
      record(alive, { pid: 1, start: "1", pidNamespace: ns });
      const old = new Date(Date.now() - 120_000);
      for (const dir of [ended, alive]) utimesSync(dir, old, old);
      expect(sweepStaleHookDirs(base, 60_000)).toBe(1);
      expect(existsSync(ended)).toBe(false);
      expect(existsSync(alive)).toBe(true);
    } finally {
      living.kill("SIGKILL");
    }
  });
});
