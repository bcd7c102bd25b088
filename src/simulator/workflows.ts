/**
 * What the simulated runner runs, as workflows define it: each job's workflow, key, display name
 * and triggering event, and the results it prints. Its own module, so that the simulator's test
 * can tell which console lines are deploy jobs from the same table.
 */

/** The events the simulated jobs are triggered by, each with the payload facts the hooks read. */
export type SimulatedEvent = "push" | "workflow_run" | "schedule";

/** One job: the display name the console prints, and what its hooks are told. */
export interface SimulatedJob {
  readonly workflow: string;
  /** The job key (GITHUB_JOB). */
  readonly key: string;
  /** The display name, chosen by workflow authors: matrix values, reusable workflows, unicode. */
  readonly name: string;
  readonly event: SimulatedEvent;
}

/** The workflow whose jobs are the deploys: npm start's --deploy-pattern finds it by name and key. */
export const DEPLOY_WORKFLOW = "Deploy";

// Jobs run in this order, round after round: CI on a push (lint, tests, build); Deploy, run by
// CI's completion (workflow_run, which carries the pushed commit, so lead time is measured), to
// staging and then production; and the nightly E2E and Docs jobs. Nothing outside Deploy says
// "deploy" in its workflow name or job key.
export const JOBS: readonly SimulatedJob[] = [
  { workflow: "CI", key: "lint", name: "lint, format & typecheck", event: "push" },
  { workflow: "CI", key: "test", name: "test / unit (3.12)", event: "push" },
  { workflow: "CI", key: "build", name: "build (ubuntu-22.04, 20)", event: "push" },
  { workflow: DEPLOY_WORKFLOW, key: "deploy-staging", name: "deploy (staging)", event: "workflow_run" },
  { workflow: DEPLOY_WORKFLOW, key: "deploy-production", name: "deploy (production)", event: "workflow_run" },
  { workflow: "E2E", key: "e2e", name: "e2e (chromium) 🧪", event: "schedule" },
  { workflow: "Docs", key: "links", name: "docs: check links ", event: "schedule" },
];

/**
 * Results, cycled beside the jobs (7 jobs, 10 results: every pairing within 70 jobs). Mostly
 * successes, as in life; every result shows within the first dozen jobs, among them a failed
 * production deploy (job 4) and the next round's staging deploy that recovers from it (job 10).
 */
export const RESULTS = [
  "Succeeded",
  "Succeeded",
  "Failed",
  "Succeeded",
  "Failed",
  "Canceled",
  "SucceededWithIssues",
  "Skipped",
  "Abandoned",
  "Succeeded",
] as const;

/** Job n's worker dies without a result line when this holds (the listener starts a new session). */
export function workerDies(n: number): boolean {
  return n % 11 === 9;
}

/** A job's event payload, with the facts the hooks read: the pushed commit's time, when the event has one. */
export function eventPayload(job: SimulatedJob, commitTime: Date): Record<string, unknown> {
  const headCommit = { timestamp: commitTime.toISOString() };
  if (job.event === "push") return { head_commit: headCommit };
  if (job.event === "workflow_run") return { workflow_run: { name: "CI", conclusion: "success", head_commit: headCommit } };
  return { schedule: "0 3 * * *" };
}
