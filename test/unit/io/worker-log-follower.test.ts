import { appendFileSync, mkdirSync, truncateSync, unlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { followWorkerLog, openedAtMs } from "../../../src/io/worker-log-follower.js";
import { removeTempDirs, tempDir, until } from "../../helpers/index.js";

afterEach(() => removeTempDirs());

const name = (ms: number) => `Worker_${new Date(ms).toISOString().slice(0, 19).replace(/[-:]/g, "").replace("T", "-")}-utc.log`;

function follow(diag: string, notBeforeMs: number, taken = new Set<string>()) {
  const lines: string[] = [];
  const follower = followWorkerLog({ diagDir: diag, notBeforeMs, taken, onLine: (l) => lines.push(l), pollMs: 20, maxLineBytes: 64 });
  return { lines, follower, taken };
}

describe("followWorkerLog", () => {
  it("reads the job's log as it grows, skips overlong lines whole, and ignores an older job's log", async () => {
    const diag = tempDir();
    mkdirSync(diag, { recursive: true });
    const now = Date.now();
    writeFileSync(join(diag, name(now - 60_000)), "old job\n");
    const { lines, follower } = follow(diag, now);
    const file = join(diag, name(now));
    writeFileSync(file, "one\ntw");
    await until(() => lines.length === 1, 10_000, "the first line");
    appendFileSync(file, `o\n${"x".repeat(200)}\nthree\r\n`);
    await until(() => lines.length === 3, 10_000, "three lines");
    await follower.finish();
    expect(lines).toEqual(["one", "two", "three"]);
    expect(follower.file()).toBe(name(now));
  });

  it("starts again when the log is truncated, and keeps reading a log that was deleted while open", async () => {
    const diag = tempDir();
    const now = Date.now();
    const file = join(diag, name(now));
    writeFileSync(file, "before truncation\n");
    const { lines, follower } = follow(diag, now);
    await until(() => lines.length === 1, 10_000, "the first line");
    truncateSync(file, 0);
    appendFileSync(file, "after\n");
    await until(() => lines.includes("after"), 10_000, "the line after truncation");
    unlinkSync(file);
    await follower.finish();
    expect(lines).toEqual(["before truncation", "after"]);
  });

  it("does not take a log an earlier job took, and names logs by the second they were opened", async () => {
    const diag = tempDir();
    const now = Date.now();
    writeFileSync(join(diag, name(now)), "earlier job\n");
    const { lines, follower } = follow(diag, now, new Set([name(now)]));
    await follower.finish();
    expect(lines).toEqual([]);
    expect(openedAtMs("Worker_20261125-100102-utc.log")).toBe(Date.UTC(2026, 10, 25, 10, 1, 2));
    expect(openedAtMs("Runner_20261125-100102-utc.log")).toBeNaN();
  });

  it("moves on to a newer log only from a full page: beside a small page it is the next job's", async () => {
    const diag = tempDir();
    const now = Date.now();
    const page = join(diag, name(now));
    writeFileSync(page, "first page\n");
    const { lines, follower, taken } = follow(diag, now);
    await until(() => lines.length === 1, 10_000, "the first line");
    // The next job's log, opened a second later, beside a page of a few bytes: left to that job.
    writeFileSync(join(diag, name(now + 1000)), "next job\n");
    await follower.finish();
    expect(lines).toEqual(["first page"]);
    expect(taken.has(name(now + 1000))).toBe(false);

    // A page filled past 1 MiB, then a newer one: the runner rotated it.
    const other = tempDir();
    writeFileSync(join(other, name(now)), `${"y".repeat(50)}\n`.repeat(21_000));
    const rotated = follow(other, now);
    await until(() => rotated.lines.length === 21_000, 10_000, "the full page");
    writeFileSync(join(other, name(now + 1000)), "second page\n");
    await until(() => rotated.lines.includes("second page"), 10_000, "the second page");
    await rotated.follower.finish();
    expect(rotated.follower.file()).toBe(name(now + 1000));
  });
});
