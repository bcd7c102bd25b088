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
});
