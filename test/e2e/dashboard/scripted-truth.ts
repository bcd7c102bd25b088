// What the scripted runners in test/fixtures/dashboard/*/run.sh do, as numbers: the truth the
// end-to-end test compares every dashboard panel with. Keep the two in step.

export type Status = "success" | "failed" | "cancelled" | "skipped" | "abandoned" | "unknown";
export const STATUSES: readonly Status[] = ["success", "failed", "cancelled", "skipped", "abandoned", "unknown"];

export interface ScriptedJob {
  readonly name: string;
  /** Printed by hand, without the hooks (chrome-go's traced jobs); job() runs them. */
  readonly hooked?: false;
  /** The sleep between its two lines; undefined for the job that never prints a result. */
  readonly seconds: number | undefined;
  readonly status: Status;
  /** Run in the workflow "Deploy", which the supervisors' DEPLOY_PATTERN matches. */
  readonly deploy?: boolean;
  /** What a step reported with `runner-supervisor report cache`. */
  readonly cache?: { readonly type: string; readonly hits: number; readonly misses: number };
}

/** The supervisors' deploy pattern in the end-to-end test. */
export const DEPLOY_PATTERN = "Deploy";
/** Age of the pushed commit when a job starts (E2E_COMMIT_AGE in lib.sh): the start of a deploy's lead time. */
export const COMMIT_AGE_SECONDS = 600;
/** Queue time of every job in the local API's answer. */
export const QUEUE_SECONDS = 42;
/** The idle pause between jobs (idle in lib.sh). */
export const IDLE_SECONDS = 0.3;

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
      { name: "build (ubuntu-latest, 20)", seconds: 2, status: "success", cache: { type: "npm", hits: 1, misses: 0 } },
      { name: "test / unit: node 20", seconds: 2, status: "success", cache: { type: "npm", hits: 0, misses: 1 } },
      { name: "lint", seconds: 1.5, status: "failed" },
      { name: "deploy (production)", seconds: 2, status: "success", deploy: true },
    ],
    online: true,
    // Four jobs and four 0.3 s idle pauses (plus the hooks' few tenths of a second per job).
    jobInFlightAfter: 2 + 2 + 1.5 + 2 + 4 * 0.3,
    relaunchesRetryable: 0,
    connectErrors: 0,
  },
  {
    type: "chrome",
    name: "e2e-chrome",
    jobs: [
      { name: "e2e (chrome, shard 1/2)", seconds: 3, status: "success", cache: { type: "buildkit", hits: 3, misses: 1 } },
      { name: "visual regression", seconds: 1.5, status: "cancelled" },
      { name: "deploy (staging)", seconds: 1, status: "failed", deploy: true },
      { name: "deploy (staging)", seconds: 1.5, status: "success", deploy: true },
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
      { name: "go test ./...", seconds: 6, status: "success", hooked: false },
      { name: "go vet", seconds: 1.5, status: "success" },
      { name: "integration", seconds: undefined, status: "unknown", hooked: false },
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
    deploys: deployTruth(jobs),
    /** Hit share by cache type over the whole script. */
    cacheHitRate: cacheTruth(jobs),
    /** Jobs that went through the hooks (job() in lib.sh): each got a queue time. */
    hookedJobs: runners.reduce((a, r) => a + r.jobs.filter((j) => j.hooked !== false).length, 0),
  };
}

function deployTruth(jobs: readonly ScriptedJob[]) {
  const deploys = jobs.filter((j) => j.deploy);
  const ok = deploys.filter((j) => j.status === "success");
  const failed = deploys.filter((j) => j.status === "failed");
  return {
    success: ok.length,
    failed: failed.length,
    changeFailureRate: ok.length + failed.length ? failed.length / (ok.length + failed.length) : undefined,
    /** Lower bound of the mean lead time: commit age plus the job's sleep (hooks and whole-second timestamps add up to ~2 s). */
    meanLeadSeconds: ok.length ? COMMIT_AGE_SECONDS + ok.reduce((a, j) => a + j.seconds!, 0) / ok.length : undefined,
    /** Lower bound of the recovery time: the failed deploy's end to the next one's end (an idle pause and the job's sleep). */
    recoverySeconds: deploys.flatMap((j, i) =>
      j.status === "failed" && deploys[i + 1]?.status === "success" ? [IDLE_SECONDS + deploys[i + 1]!.seconds!] : [],
    ),
  };
}

function cacheTruth(jobs: readonly ScriptedJob[]): Record<string, number> {
  const totals = new Map<string, { hits: number; misses: number }>();
  for (const j of jobs) {
    if (!j.cache) continue;
    const t = totals.get(j.cache.type) ?? { hits: 0, misses: 0 };
    t.hits += j.cache.hits;
    t.misses += j.cache.misses;
    totals.set(j.cache.type, t);
  }
  return Object.fromEntries([...totals].map(([type, t]) => [type, t.hits / (t.hits + t.misses)]));
}
