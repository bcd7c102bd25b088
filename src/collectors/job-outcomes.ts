import { Counter, Gauge } from "../metrics/prom-client.js";
import { JOB_CAUSES } from "../runner/causes.js";
import { nameOf, type Collector, type Registers } from "./collector.js";

const INFO_LABELS = ["repository", "workflow", "job", "run_id", "run_attempt"] as const;

/**
 * Why jobs that did not succeed ended (runner/causes.ts), and the job in flight as an info series.
 * The info series is bounded by the runner itself: one job at a time, present only while it runs,
 * so its run id costs one series per runner, never one per run.
 */
export function jobOutcomesCollector(registers: Registers): Collector {
  const failures = new Counter({
    name: "github_runner_job_failures_total",
    help: "Jobs that did not succeed, by cause: oom_killed, runner_stopped, runner_lost (no completed line), cancelled, abandoned, job_failed (docs/JOB_RESOURCES.md).",
    labelNames: ["cause"] as const,
    registers,
  });
  const inFlight = new Gauge({
    name: "github_runner_job_info",
    help: "The job in flight, from its job-started hook: 1 while it runs, absent otherwise (at most one series per runner).",
    labelNames: INFO_LABELS,
    registers,
  });
  // oom_killed is seeded only once the cgroup can count OOM kills: without one, no 0 claims none happened.
  for (const cause of JOB_CAUSES) if (cause !== "oom_killed") failures.inc({ cause }, 0);

  return {
    names: [failures, inFlight].map(nameOf),
    observe: (change) => {
      if (change.type === "cgroup-opened" && change.offers.oomKills) failures.inc({ cause: "oom_killed" }, 0);
      else if (change.type === "job-labelled" && change.context) {
        const { repository, workflow, job, runId, runAttempt } = change.context;
        inFlight.reset();
        inFlight.set({ repository, workflow, job, run_id: runId, run_attempt: String(runAttempt) }, 1);
      } else if (change.type === "job-finished") inFlight.reset();
      else if (change.type === "job-outcome" && change.cause) failures.inc({ cause: change.cause });
    },
  };
}
