// An operator's pattern meets text any workflow author writes (issue 21, row 7): DEPLOY_PATTERN
// and WORKFLOW_LABEL_PATTERN set to (a+)+$, which a backtracking engine takes seconds on for a
// workflow name of 27 a's and a !, run on the longest name a hook may send. A steady printer
// beside the job shows whether the runner's output was held while the supervisor matched.
import { afterEach, describe, expect, it } from "vitest";
import { removeTempDirs, stopAll } from "../../helpers/index.js";
import { startProduction, ticksIn } from "./harness.js";

afterEach(async () => {
  await stopAll();
  removeTempDirs();
});

const TICKS = 100;
/** The longest workflow name a hook's context may carry (256 characters), built to defeat a backtracking (a+)+$. */
const HOSTILE = `${"a".repeat(255)}!`;

/** A runner that ticks every 50 ms while one job, named by its hooks as HOSTILE, starts and fails. */
const runner = [
  "/bin/sh",
  "-c",
  [
    `( i=0; while [ $i -lt ${TICKS} ]; do echo "tick $i"; i=$((i+1)); sleep 0.05; done ) &`,
    "sleep 0.5",
    'echo "2026-11-25 10:00:01Z: Running job: build"',
    `export GITHUB_RUN_ID=1 GITHUB_RUN_ATTEMPT=1 GITHUB_REPOSITORY=acme/shop GITHUB_WORKFLOW="$HOSTILE" GITHUB_JOB="$HOSTILE" GITHUB_EVENT_NAME=push GITHUB_EVENT_PATH=/nonexistent`,
    'bash --noprofile --norc -e "$ACTIONS_RUNNER_HOOK_JOB_STARTED"',
    'bash --noprofile --norc -e "$ACTIONS_RUNNER_HOOK_JOB_COMPLETED"',
    'echo "2026-11-25 10:00:02Z: Job build completed with result: Failed"',
    "wait",
    "exit 7",
  ].join("\n"),
];

describe("an operator's pattern on a workflow author's text", () => {
  it("row 7: (a+)+$ on a 256-character hostile workflow name never holds the runner's output", async () => {
    const s = startProduction({
      command: runner,
      env: { HOSTILE, DEPLOY_PATTERN: "(a+)+$", JOB_LABELS: "workflow", WORKFLOW_LABEL_PATTERN: "(a+)+$", METRICS_LINGER: "30" },
    });
    // When each tick reached us: a stall in the supervisor shows as one long gap.
    const arrivals: number[] = [];
    let pending = "";
    s.proc.stdout!.on("data", (chunk: Buffer) => {
      pending += chunk.toString();
      const lines = pending.split("\n");
      pending = lines.pop()!;
      for (const line of lines) if (line.startsWith("tick ")) arrivals.push(performance.now());
    });
    // The pattern was tried on the job's context and did not match (the name ends in !): the job is counted as not a deploy.
    const m = await s.waitFor(
      (x) => x.value("github_runner_deploy_pattern_jobs_total", { matched: "false" }) === 1 && arrivals.length === TICKS,
      30_000,
    );
    expect(m.value("github_runner_deploy_pattern_jobs_total", { matched: "true" })).toBe(0);
    expect(m.value("github_runner_jobs_total", { status: "failed", workflow: "other" })).toBe(1);
    const ticks = ticksIn(s.stdout().toString());
    expect(ticks.every((l, i) => l === `tick ${i}`)).toBe(true);
    const longestGapMs = Math.max(...arrivals.slice(1).map((t, i) => t - arrivals[i]!));
    console.log(`longest gap between ticks printed every 50 ms: ${longestGapMs.toFixed(0)} ms`);
    // A backtracking engine holds the output 3.8 s at 25 a's and for years at 255; the bound is above a busy machine's jitter (1.1 s seen at a load of 20 on 2 cores).
    expect(longestGapMs).toBeLessThan(2_500);
  }, 60_000);
});
