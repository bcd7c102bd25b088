// The series one runner costs, counted on real scrapes of the built supervisor: with the
// defaults, and with every option that adds series turned on (job labels, deploy metrics) after
// jobs in two workflows of one repository. A fleet multiplies these numbers by its runners; the
// budget below is the documented one (docs/PROMETHEUS_INTEGRATION.md): a change that adds series
// must change it on purpose.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { openCgroup } from "../../../src/cgroup/read.js";
import { FIXTURES, parseSamples, startSupervisor, stopSupervisor, type Running, type Samples } from "../../helpers/index.js";

/** Series per metric family (histograms: buckets, _sum and _count together). */
function byFamily(samples: Samples): Map<string, number> {
  const counts = new Map<string, number>();
  for (const f of samples.all) counts.set(f.name, (counts.get(f.name) ?? 0) + f.samples.length);
  return counts;
}

const total = (counts: Map<string, number>) => [...counts.values()].reduce((a, b) => a + b, 0);

// The budget, per runner: what the supervisor exposes today. Histograms: 12 job-duration buckets
// (+Inf, _sum, _count: 15 series) for each of 6 statuses; 12 queue-time buckets (15 series);
// job phases in 4 buckets (7 series) for each of 3 phases and 6 statuses (126); deploy lead and
// recovery times in 4 DORA bands (7 series each); 6 process_* series of the supervisor's own;
// with DEPLOY_PATTERN, the jobs it was tried on by matched (2 series, without job labels, so not
// per pair).
// Without the container's cgroup (JOB_RESOURCES=false), 5 more for the causes of failure
// (github_runner_job_failures_total, oom_killed left out). What the cgroup adds depends on what
// the host's kernel offers (jobResourceSeries below): at most 34 (cgroup v2 with pressure files, a
// memory and a CPU limit), 29 on this project's cgroup v1 machines; github_runner_job_info adds 1
// while a job runs. So at most 40 over the 302 before them.
const BUDGET = {
  defaults: 307,
  jobDurationPerLabelSet: 90,
  everyOption: 824,
  /** What each further (repository, workflow) pair adds with JOB_LABELS and DEPLOY_PATTERN. */
  perJobLabelPair: 257,
  /** What the cgroup adds at most, and to each further pair (the CPU and memory histograms, 11 each). */
  jobResourcesMax: 34,
  jobResourcesPerPair: 22,
};

/** The series the container's cgroup adds on this host, from what its kernel offers (docs/JOB_RESOURCES.md). */
async function jobResourceSeries(): Promise<number> {
  const opened = await openCgroup();
  if ("absent" in opened) return 0;
  const f = opened.first;
  const on = (value: unknown) => (value === undefined ? 0 : 1);
  return (
    (on(f.cpuSeconds) + on(f.memoryCurrentBytes)) * 11 + // the two histograms with their default 8 buckets
    on(f.memoryCurrentBytes) * 2 + // the peak's source
    on(f.io) * 2 +
    on(f.throttledSeconds) +
    on(f.oomKills) * 2 + // the counter, and oom_killed among the causes
    Object.keys(f.pressureSeconds).length +
    on(opened.limits.memoryBytes) +
    on(opened.limits.cpus)
  );
}

const running: Running[] = [];
const scratch = mkdtempSync(join(tmpdir(), "series-budget-"));
afterAll(async () => {
  await Promise.all(running.map((r) => stopSupervisor(r)));
  rmSync(scratch, { recursive: true, force: true });
});

/** A supervisor around a scripted runner (test/fixtures/dashboard/lib.sh) that runs these jobs, then idles. */
async function scrapeAfter(jobs: readonly string[], env: Record<string, string>): Promise<Map<string, number>> {
  const script = ["source ../lib.sh", "session_start", ...jobs, "linger"].join(" && ");
  const s = startSupervisor({
    runnerHome: join(FIXTURES, "dashboard", "standard"),
    command: ["bash", "-c", script],
    env: { RUNNER_TYPE: "standard", RUNNER_NAME: "budget", E2E_GO_FILE: join(scratch, `go-${running.length}`), ...env },
  });
  running.push(s);
  // Every job finished (summed over all label sets), so each label set it creates is there.
  await s.waitFor(
    (m) => (m.all.find((f) => f.name === "github_runner_jobs")?.samples.reduce((a, x) => a + Number(x.value), 0) ?? -1) === jobs.length,
    15_000,
  );
  // The exposition as Prometheus stores it: one series per sample line.
  return byFamily(parseSamples(await (await s.get("/metrics")).text()));
}

const report: string[] = [];

describe("series per runner", () => {
  it("with the defaults, without and with the container's cgroup", async () => {
    const counts = await scrapeAfter([], { JOB_RESOURCES: "false" });
    report.push(`defaults without the cgroup: ${total(counts)} series (${[...counts].map(([f, n]) => `${f} ${n}`).join(", ")})`);
    expect(counts.get("github_runner_job_duration_seconds")).toBe(BUDGET.jobDurationPerLabelSet);
    expect(total(counts)).toBe(BUDGET.defaults);
    const withCgroup = await scrapeAfter([], {});
    const added = await jobResourceSeries();
    report.push(`defaults with this host's cgroup: ${total(withCgroup)} series (${added} from the cgroup)`);
    expect(added).toBeLessThanOrEqual(BUDGET.jobResourcesMax);
    expect(total(withCgroup)).toBe(BUDGET.defaults + added);
  });

  it("with every option that adds series (job labels, deploy metrics), after jobs in two workflows", async () => {
    const env = { JOB_LABELS: "repository,workflow", DEPLOY_PATTERN: "Deploy", JOB_RESOURCES: "false" };
    const one = await scrapeAfter(['job "build" 0.2 Succeeded CI'], env);
    const two = await scrapeAfter(['job "build" 0.2 Succeeded CI', 'job "deploy (production)" 0.2 Succeeded Deploy'], env);
    report.push(`every option, one (repository, workflow) pair: ${total(one)} series; a second pair adds ${total(two) - total(one)}`);
    expect(total(two)).toBe(BUDGET.everyOption);
    expect(total(two) - total(one)).toBe(BUDGET.perJobLabelPair);
    // The cgroup's histograms carry the job labels too; its counters do not.
    const withCgroup = { ...env, JOB_RESOURCES: "true" };
    const oneOn = await scrapeAfter(['job "build" 0.2 Succeeded CI'], withCgroup);
    const twoOn = await scrapeAfter(['job "build" 0.2 Succeeded CI', 'job "deploy (production)" 0.2 Succeeded Deploy'], withCgroup);
    report.push(`every option with this host's cgroup: ${total(twoOn)} series; a second pair adds ${total(twoOn) - total(oneOn)}`);
    if ((await jobResourceSeries()) > 0) expect(total(twoOn) - total(oneOn)).toBe(BUDGET.perJobLabelPair + BUDGET.jobResourcesPerPair);
    // Four supervisors one after the other, each waiting for its jobs: generous on a busy machine.
  }, 120_000);

  afterAll(() => console.log(report.join("\n")));
});
