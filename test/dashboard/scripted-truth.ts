// What the scripted runners in test/fixtures/dashboard/*/run.sh do, as numbers: the truth the
// end-to-end test compares every dashboard panel with. Keep the two in step.

export type Status = "success" | "failed" | "cancelled" | "skipped" | "abandoned" | "unknown";
export const STATUSES: readonly Status[] = ["success", "failed", "cancelled", "skipped", "abandoned", "unknown"];

export interface ScriptedJob {
  readonly name: string;
  /** The sleep between its two lines; undefined for the job that never prints a result. */
  readonly seconds: number | undefined;
  readonly status: Status;
}

export interface ScriptedRunner {
  readonly type: "standard" | "chrome" | "chrome-go";
  readonly name: string;
  readonly jobs: readonly ScriptedJob[];
  /** Online at the end of the script. */
  readonly online: boolean;
  /** A job left running at the end, started this many seconds after the go signal. */
  readonly jobInFlightAfter: number | undefined;
  readonly relaunchesRetryable: number;
  readonly connectErrors: number;
}

export const RUNNERS: readonly ScriptedRunner[] = [
  {
    type: "standard",
    name: "e2e-standard",
    jobs: [
      { name: "build (ubuntu-latest, 20)", seconds: 2, status: "success" },
      { name: "test / unit: node 20", seconds: 2, status: "success" },
      { name: "lint", seconds: 1.5, status: "failed" },
      { name: "deploy (production)", seconds: 2, status: "success" },
    ],
    online: true,
    // Four jobs and four 0.3 s idle pauses.
    jobInFlightAfter: 2 + 2 + 1.5 + 2 + 4 * 0.3,
    relaunchesRetryable: 0,
    connectErrors: 0,
  },
  {
    type: "chrome",
    name: "e2e-chrome",
    jobs: [
      { name: "e2e (chrome, shard 1/2)", seconds: 3, status: "success" },
      { name: "visual regression", seconds: 1.5, status: "cancelled" },
      { name: "smoke", seconds: 1.5, status: "success" },
    ],
    online: true,
    jobInFlightAfter: undefined,
    relaunchesRetryable: 0,
    connectErrors: 0,
  },
  {
    type: "chrome-go",
    name: "e2e-chrome-go",
    jobs: [
      { name: "go test ./...", seconds: 6, status: "success" },
      { name: "go vet", seconds: 1.5, status: "success" },
      { name: "integration", seconds: undefined, status: "unknown" },
    ],
    online: false,
    jobInFlightAfter: undefined,
    relaunchesRetryable: 1,
    connectErrors: 1,
  },
];

/** The truth for a subset of the runners. */
export function truthFor(runners: readonly ScriptedRunner[]) {
  const jobs = runners.flatMap((r) => r.jobs);
  const count = (s: Status) => jobs.filter((j) => j.status === s).length;
  const byStatus = Object.fromEntries(STATUSES.map((s) => [s, count(s)])) as Record<Status, number>;
  const succeeded = jobs.filter((j) => j.status === "success");
  const notSkipped = jobs.length - byStatus.skipped;
  return {
    totalJobs: jobs.length,
    byStatus,
    successRate: notSkipped ? byStatus.success / notSkipped : undefined,
    changeFailureRate: byStatus.success + byStatus.failed ? byStatus.failed / (byStatus.success + byStatus.failed) : undefined,
    meanSuccessMinutes: succeeded.length ? succeeded.reduce((a, j) => a + j.seconds!, 0) / succeeded.length / 60 : undefined,
    online: runners.filter((r) => r.online).length,
    busy: runners.filter((r) => r.jobInFlightAfter !== undefined).length,
    statusByRunner: Object.fromEntries(runners.map((r) => [r.name, r.online ? 1 : 0])),
    relaunchesRetryable: runners.reduce((a, r) => a + r.relaunchesRetryable, 0),
    connectErrors: runners.reduce((a, r) => a + r.connectErrors, 0),
  };
}
