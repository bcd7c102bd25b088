import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, readlinkSync, utimesSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { writeOwnerRecord } from "../../../src/channel/owner-record.js";
import { openChannel, type Channel } from "../../../src/channel/socket.js";
import { sweepStaleHookDirs } from "../../../src/channel/stale-dirs.js";
import { removeTempDirs, tempDir } from "../../helpers/index.js";

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
      JSON.stringify({ pidNamespace: readlinkSync("/proc/self/ns/pid"), bootId: readFileSync("/proc/sys/kernel/random/boot_id", "utf8").trim(), ...owner }),
    );

  it("removes only directories whose owner is gone for sure, and never connects to a live supervisor's socket", async () => {
    const base = tempDir();
    const dirs = Object.fromEntries(["dead", "reused", "live", "foreign", "unrecorded", "young"].map((n) => [n, join(base, `runner-supervisor-${n}`)]));
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
    channel = await openChannel(dirs.live!, () => undefined, () => rejected++);
    const old = new Date(Date.now() - 120_000);
    for (const [name, dir] of Object.entries(dirs)) if (name !== "young") utimesSync(dir, old, old);

    expect(sweepStaleHookDirs(base, 60_000)).toBe(2);
    expect(existsSync(dirs.dead!)).toBe(false);
    expect(existsSync(dirs.reused!)).toBe(false);
    for (const kept of ["live", "foreign", "unrecorded", "young"]) expect(existsSync(dirs[kept]!), kept).toBe(true);
    expect(existsSync(other)).toBe(true);
    await new Promise((r) => setTimeout(r, 100));
    expect(rejected).toBe(0);
  });
});
