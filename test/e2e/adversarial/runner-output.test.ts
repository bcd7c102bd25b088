// Whatever the runner prints passes through byte for byte, and exactly its real job lines count
// (issue row 7, and a million fuzzed lines on both streams).
import { createHash } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { FIXTURES, removeTempDirs, scripted, stopAll, tempDir, type Step } from "../../helpers/index.js";
import { sleep, startProduction } from "./harness.js";

afterEach(async () => {
  await stopAll();
  removeTempDirs();
});

const sha256 = (b: Buffer) => createHash("sha256").update(b).digest("hex");
const STATUSES = ["success", "failed", "cancelled", "skipped", "abandoned", "unknown"] as const;

describe("job names exactly as printed", () => {
  it("row 7: names with U+2028, U+2029 or a CR inside are started, completed and counted", async () => {
    const names = ["a\u2028b", "a\u2029b", "a\rb"];
    const steps: Step[] = names.flatMap((n) => [
      { out: `{ts}: Running job: ${n}` },
      { out: `{ts}: Job ${n} completed with result: Succeeded` },
    ]);
    const { command, env } = scripted([...steps, { sleep: 30 }]);
    const s = startProduction({ command, env });
    const m = await s.waitFor((m) => m.value("github_runner_jobs_total", { status: "success" }) === 3);
    expect(m.value("github_runner_jobs_total", { status: "unknown" })).toBe(0);
  });
});

describe("a million lines of fuzzed runner output", () => {
  it("both streams pass byte for byte and every job counts once, no more", async () => {
    const dir = tempDir("rs-fuzz-");
    const summaryFile = join(dir, "summary.json");
    const go = join(dir, "go");
    const s = startProduction({
      command: [process.execPath, join(FIXTURES, "adversarial", "fuzz-runner.mjs")],
      env: { FUZZ_SUMMARY: summaryFile, FUZZ_GO: go, METRICS_LINGER: "60" },
    });
    const stderr: Buffer[] = [];
    s.proc.stderr!.on("data", (c: Buffer) => stderr.push(c));
    await s.port;
    // The runner writes only once the supervisor's own first line is out, so that line comes first on stderr.
    writeFileSync(go, "");
    const tail = () =>
      stderr
        .slice(-4)
        .map((c) => c.toString("latin1"))
        .join("");
    for (let i = 0; i < 1200 && !tail().includes("the runner exited"); i++) await sleep(50);
    const expected = JSON.parse(readFileSync(summaryFile, "utf8")) as {
      stdout: { bytes: number; sha256: string };
      stderr: { bytes: number; sha256: string };
      jobs: Record<(typeof STATUSES)[number], number>;
      lines: number;
    };
    expect(expected.lines).toBeGreaterThanOrEqual(1_000_000);

    const out = s.stdout();
    expect(out.length).toBe(expected.stdout.bytes);
    expect(sha256(out)).toBe(expected.stdout.sha256);

    const err = Buffer.concat(stderr);
    const first = err.indexOf(0x0a) + 1;
    expect(err.subarray(0, first).toString()).toMatch(/^runner-supervisor: serving metrics on /);
    const runnerErr = err.subarray(first, first + expected.stderr.bytes);
    expect(sha256(runnerErr)).toBe(expected.stderr.sha256);
    // After the runner's last byte, only whole lines of the supervisor's own.
    expect(err.subarray(first + expected.stderr.bytes).toString()).toMatch(/^(runner-supervisor: [^\n]*\n)+$/);

    const m = await s.metrics();
    for (const status of STATUSES) expect(m.value("github_runner_jobs_total", { status }), status).toBe(expected.jobs[status]);
    expect(expected.jobs.success).toBeGreaterThan(1000);
  }, 90_000);
});
