// The runners dashboard (grafana/dashboards/github-runner-dashboard.json): every panel reads the
// supervisors' own series, filtered by runner type and runner name, so it works on any
// Prometheus that scrapes them, with no recording rules. Its cost grows with runners × range:
// for large fleets over long ranges, the fleet dashboard reads recorded series instead.
import * as common from "@grafana/grafana-foundation-sdk/common";
import * as dashboard from "@grafana/grafana-foundation-sdk/dashboard";
import { datasourceVariable, frame, gaugePanel, labelVariable, piePanel, seriesPanel, statPanel, tablePanel } from "./panels.js";

/** The two variable matchers every selector of this dashboard carries. */
const F = 'runner_name=~"$runner_name", runner_type=~"$runner_type"';
/** process_* series of other programs have no runner_name; `=~".*"` alone would match them. */
const OWN = `${F}, runner_name!=""`;

/**
 * A quantile of the queue times that arrived in each window. Kept only where one did: over the
 * buckets' pre-seeded zeros histogram_quantile divides 0 by 0, and NaN would show as a value.
 */
const queueTimeQuantile = (q: number) =>
  `histogram_quantile(${q}, sum by (le) (rate(github_runner_job_queue_time_seconds_bucket{${F}}[$__rate_interval]))) and on() (sum(rate(github_runner_job_queue_time_seconds_count{${F}}[$__rate_interval])) > 0)`;

/** A quantile of a per-job histogram over the jobs that ended in each window (none: no value, not NaN). */
const perJobQuantile = (q: number, metric: string) =>
  `histogram_quantile(${q}, sum by (le) (rate(${metric}_bucket{${F}}[$__rate_interval]))) and on() (sum(rate(${metric}_count{${F}}[$__rate_interval])) > 0)`;

const ONLINE_OFFLINE: dashboard.ValueMapping = {
  type: dashboard.MappingType.ValueToText,
  options: { "0": { text: "Offline", color: "red", index: 0 }, "1": { text: "Online", color: "green", index: 1 } },
};

/** The per-runner dashboard, as Grafana loads it. */
export function runnersDashboard(): dashboard.Dashboard {
  return frame(
    "GitHub Actions Runners",
    "runner-supervisor-runners",
    "Self-hosted GitHub Actions runners supervised by runner-supervisor: status, jobs, durations, where job time goes, utilization and idle capacity, queue time, connection problems, cache hit rates, the supervisors' own overhead, and DORA measures of the deploy jobs the runners ran. Filter by runner type and name. Reads the runners' own series (no recording rules needed); for hundreds of runners over weeks use the fleet dashboard.",
  )
    .withVariable(datasourceVariable())
    .withVariable(labelVariable("runner_type", "Runner type", "label_values(github_runner_info, runner_type)"))
    .withVariable(labelVariable("runner_name", "Runner name", 'label_values(github_runner_info{runner_type=~"$runner_type"}, runner_name)'))
    .withPanel(
      statPanel({
        id: 1,
        title: "Runner Status Overview",
        description:
          "Per runner: Online while its listener holds a session with GitHub (listening or running a job), Offline after a connection error, a relaunch, an update or a stop. A runner whose supervisor is gone entirely disappears from this panel; the RunnerSupervisorDown alert covers that case.",
        place: { x: 0, y: 0, w: 8, h: 5 },
        queries: [{ expr: `max by (runner_name) (github_runner_status{${F}})`, legend: "{{runner_name}}" }],
        unit: "none",
        steps: [
          [null, "red"],
          [1, "green"],
        ],
        mappings: [ONLINE_OFFLINE],
        textMode: common.BigValueTextMode.ValueAndName,
        colorMode: common.BigValueColorMode.Background,
      }),
    )
    .withPanel(
      statPanel({
        id: 2,
        title: "Active Runners",
        description: "How many of the selected runners are online now (github_runner_status = 1), summed over runners.",
        place: { x: 8, y: 0, w: 4, h: 5 },
        queries: [{ expr: `sum(github_runner_status{${F}})`, legend: "online" }],
        unit: "none",
        decimals: 0,
        steps: [
          [null, "red"],
          [1, "green"],
        ],
      }),
    )
    .withPanel(
      statPanel({
        id: 3,
        title: "Busy Runners",
        description: "How many of the selected runners are running a job now (github_runner_busy = 1).",
        place: { x: 12, y: 0, w: 4, h: 5 },
        queries: [{ expr: `sum(github_runner_busy{${F}})`, legend: "busy" }],
        unit: "none",
        decimals: 0,
        steps: [[null, "blue"]],
      }),
    )
    .withPanel(
      statPanel({
        id: 4,
        title: "Total Jobs Executed",
        description:
          "Jobs that finished on the selected runners during the selected time range, whatever their result: increase of github_runner_jobs_total over $__range, summed over every status and rounded to whole jobs. A job still running is not counted yet. increase() extrapolates up to one scrape past the samples it has, a fraction of a job at most for a few runners; the fleet dashboard counts exactly from recorded per-minute increments.",
        place: { x: 16, y: 0, w: 4, h: 5 },
        queries: [{ expr: `round(sum(increase(github_runner_jobs_total{${F}}[$__range])))`, legend: "jobs" }],
        unit: "none",
        decimals: 0,
        steps: [[null, "blue"]],
      }),
    )
    .withPanel(
      gaugePanel({
        id: 5,
        title: "Job Success Rate",
        description:
          "Share of the jobs finished in the selected time range that succeeded (Succeeded or SucceededWithIssues). Failed, cancelled, abandoned and unknown jobs count against it; skipped jobs are left out. No data when no job finished in the range.",
        place: { x: 20, y: 0, w: 4, h: 5 },
        query: {
          expr: `sum(increase(github_runner_jobs_total{status="success", ${F}}[$__range])) / (sum(increase(github_runner_jobs_total{status!="skipped", ${F}}[$__range])) > 0)`,
          legend: "success rate",
        },
        unit: "percentunit",
        min: 0,
        max: 1,
        decimals: 1,
        steps: [
          [null, "red"],
          [0.8, "yellow"],
          [0.95, "green"],
        ],
      }),
    )
    .withPanel(
      seriesPanel({
        id: 6,
        title: "Jobs per Hour",
        description:
          "Rate at which jobs finish on the selected runners, by result, as jobs per hour: rate of github_runner_jobs_total over $__rate_interval times 3600. A short burst of jobs shows as a short, high peak.",
        place: { x: 0, y: 5, w: 12, h: 8 },
        queries: [{ expr: `sum by (status) (rate(github_runner_jobs_total{${F}}[$__rate_interval])) * 3600`, legend: "{{status}}" }],
        unit: "suffix: jobs/h",
        min: 0,
      }),
    )
    .withPanel(
      seriesPanel({
        id: 7,
        title: "Job Duration Trends",
        description:
          "Median (p50) and 95th percentile (p95) of the duration of jobs that finished within each $__rate_interval window, from the github_runner_job_duration_seconds histogram. Values are interpolated inside histogram buckets (default bounds 1, 5, 10, 30, 60, 120 s ...), so they are estimates, exact only to the bucket. Gaps mean no job finished in that window.",
        place: { x: 12, y: 5, w: 12, h: 8 },
        queries: [
          {
            expr: `histogram_quantile(0.5, sum by (le) (rate(github_runner_job_duration_seconds_bucket{${F}}[$__rate_interval])))`,
            legend: "p50",
          },
          {
            expr: `histogram_quantile(0.95, sum by (le) (rate(github_runner_job_duration_seconds_bucket{${F}}[$__rate_interval])))`,
            legend: "p95",
          },
        ],
        unit: "s",
        min: 0,
      }),
    )
    .withPanel(
      piePanel({
        id: 8,
        title: "Job Status Distribution",
        description:
          "Jobs finished in the selected time range, by result (success, failed, cancelled, skipped, abandoned, unknown), rounded to whole jobs. unknown: the runner printed a 'Running job' line but never a result (lock lost, worker crash, listener killed).",
        place: { x: 0, y: 13, w: 8, h: 8 },
        query: { expr: `round(sum by (status) (increase(github_runner_jobs_total{${F}}[$__range])))`, legend: "{{status}}" },
      }),
    )
    .withPanel(
      tablePanel({
        id: 9,
        title: "Runner Uptime",
        description:
          "Hours since each selected runner's supervisor started it (time() minus github_runner_start_time_seconds). A container restart starts again from 0; a runner whose supervisor is gone drops out of the table.",
        place: { x: 8, y: 13, w: 8, h: 8 },
        query: {
          expr: `(time() - max by (runner_name, runner_type) (github_runner_start_time_seconds{${F}})) / 3600`,
          legend: "{{runner_name}}",
          table: true,
        },
        unit: "h",
        decimals: 2,
        columns: [
          ["runner_name", "Runner"],
          ["runner_type", "Type"],
          ["Value", "Uptime"],
        ],
        sortBy: "Uptime",
      }),
    )
    .withPanel(
      seriesPanel({
        id: 10,
        title: "Connection Problems and Relaunches",
        description:
          "Connection problems the runners reported (connect_error: the first error of a streak; session_conflict; session_failed; runner_removed: the runner must be re-registered) and listener relaunches by run.sh (retryable, updating), counted per $__rate_interval window.",
        place: { x: 16, y: 13, w: 8, h: 8 },
        queries: [
          {
            expr: `sum by (reason) (increase(github_runner_connection_errors_total{${F}}[$__rate_interval]))`,
            legend: "connection: {{reason}}",
          },
          {
            expr: `sum by (reason) (increase(github_runner_listener_relaunches_total{${F}}[$__rate_interval]))`,
            legend: "relaunch: {{reason}}",
          },
        ],
        unit: "short",
        min: 0,
        decimals: 0,
        bars: true,
      }),
    )
    .withPanel(
      statPanel({
        id: 11,
        title: "Deployment Frequency (successful deploy jobs)",
        description:
          "Deploy jobs that succeeded in the selected time range (github_runner_deployments_total, result=success), rounded to whole jobs. A deploy job is one whose workflow name, job key or environment matches the supervisor's DEPLOY_PATTERN; only deploys that ran on the selected runners are counted. No data when no DEPLOY_PATTERN is set.",
        place: { x: 0, y: 21, w: 6, h: 7 },
        queries: [
          { expr: `round(sum(increase(github_runner_deployments_total{result="success", ${F}}[$__range])))`, legend: "successful deploys" },
        ],
        unit: "short",
        decimals: 0,
        steps: [[null, "blue"]],
      }),
    )
    .withPanel(
      gaugePanel({
        id: 12,
        title: "Lead Time for Changes (commit to deploy job end)",
        description:
          "Mean lead time, in minutes, of the deploy jobs that succeeded in the selected time range: from the pushed commit's timestamp in the event payload (push or workflow_run) to the deploy job's completion (github_runner_deploy_lead_time_seconds sum / count). It ends when the deploy job ends, not when the change is live; deploys triggered without a commit time (e.g. workflow_dispatch) are not measured. No data without DEPLOY_PATTERN.",
        place: { x: 6, y: 21, w: 6, h: 7 },
        query: {
          expr: `sum(increase(github_runner_deploy_lead_time_seconds_sum{${F}}[$__range])) / (sum(increase(github_runner_deploy_lead_time_seconds_count{${F}}[$__range])) > 0) / 60`,
          legend: "mean minutes",
        },
        unit: "m",
        min: 0,
        max: 1440,
        decimals: 2,
        steps: [
          [null, "green"],
          [60, "yellow"],
          [1440, "red"],
        ],
      }),
    )
    .withPanel(
      gaugePanel({
        id: 13,
        title: "Change Failure Rate (failed deploy jobs)",
        description:
          "Deploy jobs that failed divided by deploy jobs that succeeded or failed in the selected time range (github_runner_deployments_total). It counts failed deploy jobs, not deployments that degraded service after they succeeded: a pipeline measure of DORA's change failure rate. Cancelled deploys are left out. No data when no deploy finished.",
        place: { x: 12, y: 21, w: 6, h: 7 },
        query: {
          expr: `sum(increase(github_runner_deployments_total{result="failed", ${F}}[$__range])) / (sum(increase(github_runner_deployments_total{result=~"success|failed", ${F}}[$__range])) > 0)`,
          legend: "failed deploys",
        },
        unit: "percentunit",
        min: 0,
        max: 1,
        decimals: 1,
        steps: [
          [null, "green"],
          [0.05, "yellow"],
          [0.15, "red"],
        ],
      }),
    )
    .withPanel(
      statPanel({
        id: 16,
        title: "Time to Restore (failed deploy to next successful deploy)",
        description:
          "Mean pipeline recovery time in the selected time range: from a failed deploy job to the next successful deploy job of the same repository and workflow, as one runner saw them (github_runner_deploy_recovery_time_seconds sum / count). It measures restoring the deploy pipeline, not restoring service after an incident; a runner only sees the deploys it ran itself, so with ephemeral runners it stays empty. No data when nothing was restored.",
        place: { x: 18, y: 21, w: 6, h: 7 },
        queries: [
          {
            expr: `sum(increase(github_runner_deploy_recovery_time_seconds_sum{${F}}[$__range])) / (sum(increase(github_runner_deploy_recovery_time_seconds_count{${F}}[$__range])) > 0)`,
            legend: "mean recovery",
          },
        ],
        unit: "s",
        decimals: 1,
        steps: [
          [null, "green"],
          [3600, "yellow"],
          [86400, "red"],
        ],
      }),
    )
    .withPanel(
      seriesPanel({
        id: 17,
        title: "Queue Time",
        description:
          "How long jobs waited for a runner, p50 and p95, from github_runner_job_queue_time_seconds: each job's created_at to started_at in GitHub's REST API, looked up by the supervisor when the job starts. Needs GITHUB_API_TOKEN; jobs whose look-up failed are not in it (see github_runner_queue_time_lookup_failures_total). Windows in which no job's queue time arrived have no value, so without a token the panel says No data.",
        place: { x: 0, y: 28, w: 16, h: 8 },
        queries: [
          { expr: queueTimeQuantile(0.5), legend: "p50" },
          { expr: queueTimeQuantile(0.95), legend: "p95" },
        ],
        unit: "s",
        min: 0,
      }),
    )
    .withPanel(
      statPanel({
        id: 14,
        title: "Longest Job in Flight",
        description:
          "How long the longest-running job on the selected runners has been running (time() minus github_runner_job_start_time_seconds). Shows 'No job running' when every selected runner is idle. See the RunnerBusyTooLong alert.",
        place: { x: 16, y: 28, w: 8, h: 8 },
        queries: [{ expr: `max(time() - github_runner_job_start_time_seconds{${F}})`, legend: "longest job" }],
        unit: "s",
        decimals: 0,
        noValue: "No job running",
        steps: [
          [null, "green"],
          [3600, "yellow"],
          [10800, "red"],
        ],
      }),
    )
    .withPanel(
      seriesPanel({
        id: 15,
        title: "Cache Hit Rates",
        description:
          'Share of cache look-ups that hit, by cache type, from github_runner_cache_requests_total{result="hit|miss"}, which workflow steps feed with `runner-supervisor report cache` (for example from actions/cache\'s cache-hit output or a BuildKit log). A ratio of rates over $__rate_interval, so it can be summed over runners; No data where no step reports.',
        place: { x: 0, y: 36, w: 12, h: 8 },
        queries: [
          {
            expr: `sum by (cache_type) (rate(github_runner_cache_requests_total{result="hit", ${F}}[$__rate_interval])) / (sum by (cache_type) (rate(github_runner_cache_requests_total{${F}}[$__rate_interval])) > 0)`,
            legend: "{{cache_type}}",
          },
        ],
        unit: "percentunit",
        min: 0,
        max: 1,
      }),
    )
    .withPanel(
      seriesPanel({
        id: 20,
        title: "Where Job Time Goes",
        description:
          "Time the selected runners spent in each phase of their jobs (setup, steps, cleanup), stacked: the rate of github_runner_job_phase_duration_seconds_sum over $__rate_interval, in seconds per second, that is how many runners were in that phase on average. A phase counts when it ends, so a long phase shows as a peak at its end. The stack's height is about the busy runners.",
        place: { x: 12, y: 36, w: 12, h: 8 },
        queries: [
          { expr: `sum by (phase) (rate(github_runner_job_phase_duration_seconds_sum{${F}}[$__rate_interval]))`, legend: "{{phase}}" },
        ],
        unit: "short",
        min: 0,
        stacked: true,
      }),
    )
    .withPanel(
      seriesPanel({
        id: 18,
        title: "Utilization",
        description:
          "Share of the time each runner spent running jobs (rate of github_runner_busy_seconds_total over $__rate_interval: 1 = busy the whole window), per runner and averaged per runner type. A type whose average stays near 100 % has no spare runner: its jobs queue (see the RunnerFleetSaturated alert).",
        place: { x: 0, y: 44, w: 12, h: 8 },
        queries: [
          {
            expr: `avg by (runner_type) (rate(github_runner_busy_seconds_total{${F}}[$__rate_interval]))`,
            legend: "{{runner_type}} (average)",
          },
          { expr: `sum by (runner_name) (rate(github_runner_busy_seconds_total{${F}}[$__rate_interval]))`, legend: "{{runner_name}}" },
        ],
        unit: "percentunit",
        min: 0,
        max: 1,
      }),
    )
    .withPanel(
      seriesPanel({
        id: 19,
        title: "Idle Capacity",
        description:
          "Runners online and not running a job, per runner type (github_runner_status minus github_runner_busy, per runner): the jobs that could start at once. At 0 a new job waits for a runner to finish or come online.",
        place: { x: 12, y: 44, w: 12, h: 8 },
        queries: [
          { expr: `sum by (runner_type) (clamp_min(github_runner_status{${F}} - github_runner_busy{${F}}, 0))`, legend: "{{runner_type}}" },
        ],
        unit: "short",
        min: 0,
        decimals: 0,
      }),
    )
    .withPanel(
      seriesPanel({
        id: 21,
        title: "Supervisor Overhead",
        description:
          "What runner-supervisor itself costs on each selected runner: its resident memory (process_resident_memory_bytes, left axis) and its CPU time per second (rate of process_cpu_seconds_total over $__rate_interval, right axis: 1 % is a hundredth of one core). The runner and its jobs are separate processes and not included.",
        place: { x: 0, y: 52, w: 24, h: 8 },
        queries: [
          { expr: `sum by (runner_name) (process_resident_memory_bytes{${OWN}})`, legend: "{{runner_name}} memory" },
          { expr: `sum by (runner_name) (rate(process_cpu_seconds_total{${OWN}}[$__rate_interval]))`, legend: "{{runner_name}} CPU" },
        ],
        unit: "bytes",
        min: 0,
        rightAxis: { refId: "B", unit: "percentunit" },
      }),
    )
    .withPanel(
      seriesPanel({
        id: 22,
        title: "CPU per Job",
        description:
          "Median (p50) and 95th percentile (p95) of the CPU seconds each job used, from github_runner_job_cpu_seconds: the container's cgroup from the job's Running job line to its completed line, every process in the container (the runner's own included), not the job's container: and services: containers. Estimates exact to the bucket. See docs/JOB_RESOURCES.md.",
        place: { x: 0, y: 60, w: 8, h: 8 },
        queries: [
          { expr: perJobQuantile(0.5, "github_runner_job_cpu_seconds"), legend: "p50" },
          { expr: perJobQuantile(0.95, "github_runner_job_cpu_seconds"), legend: "p95" },
        ],
        unit: "s",
        min: 0,
      }),
    )
    .withPanel(
      seriesPanel({
        id: 23,
        title: "Cores Used by Jobs vs CPU Limit",
        description:
          "Per runner type: CPU seconds jobs used per second of job time (rate of github_runner_job_cpu_seconds_sum over rate of github_runner_job_duration_seconds_sum), that is the cores a job keeps busy on average, beside the largest CPU limit of the type's containers (github_runner_container_cpu_limit_cores, absent without a limit). Jobs far under their limit can be given less. A job's CPU is counted a moment after its duration (once its end snapshot is read), so a short window can read high; longer ranges average it out.",
        place: { x: 8, y: 60, w: 8, h: 8 },
        queries: [
          {
            expr: `sum by (runner_type) (rate(github_runner_job_cpu_seconds_sum{${F}}[$__rate_interval])) / (sum by (runner_type) (rate(github_runner_job_duration_seconds_sum{${F}}[$__rate_interval])) > 0)`,
            legend: "{{runner_type}} used",
          },
          { expr: `max by (runner_type) (github_runner_container_cpu_limit_cores{${F}})`, legend: "{{runner_type}} limit" },
        ],
        unit: "short",
        min: 0,
      }),
    )
    .withPanel(
      seriesPanel({
        id: 24,
        title: "Peak Memory per Job vs Memory Limit",
        description:
          "Median (p50) and 95th percentile (p95) of each job's peak memory (github_runner_job_memory_peak_bytes: the cgroup's peak when it rose during the job, else the highest of one-second samples; page cache included), beside the largest memory limit of the selected containers (github_runner_container_memory_limit_bytes, absent without a limit): jobs use at most the p95 of the limit they get.",
        place: { x: 16, y: 60, w: 8, h: 8 },
        queries: [
          { expr: perJobQuantile(0.5, "github_runner_job_memory_peak_bytes"), legend: "p50" },
          { expr: perJobQuantile(0.95, "github_runner_job_memory_peak_bytes"), legend: "p95" },
          { expr: `max(github_runner_container_memory_limit_bytes{${F}})`, legend: "limit" },
        ],
        unit: "bytes",
        min: 0,
      }),
    )
    .withPanel(
      seriesPanel({
        id: 25,
        title: "Why Jobs Did Not Succeed",
        description:
          "Jobs that did not succeed per hour, by cause (github_runner_job_failures_total), stacked: oom_killed (an OOM kill in the container during the job), runner_stopped (the supervisor was stopped while the job ran), runner_lost (no completed line: the listener or worker died), cancelled, abandoned, job_failed (the job's own failure). The rules are in docs/JOB_RESOURCES.md.",
        place: { x: 0, y: 68, w: 12, h: 8 },
        queries: [{ expr: `sum by (cause) (rate(github_runner_job_failures_total{${F}}[$__rate_interval])) * 3600`, legend: "{{cause}}" }],
        unit: "suffix: jobs/h",
        min: 0,
        stacked: true,
      }),
    )
    .withPanel(
      statPanel({
        id: 26,
        title: "OOM Kills During Jobs",
        description:
          "Processes the kernel's OOM killer killed in the selected runners' containers while a job ran, in the selected time range (increase of github_runner_job_oom_kills_total, rounded). Above 0: a job needs more memory than its container has (see the RunnerJobOOMKilled alert).",
        place: { x: 12, y: 68, w: 4, h: 8 },
        queries: [{ expr: `round(sum(increase(github_runner_job_oom_kills_total{${F}}[$__range])))`, legend: "OOM kills" }],
        unit: "none",
        decimals: 0,
        steps: [
          [null, "green"],
          [1, "red"],
        ],
      }),
    )
    .withPanel(
      tablePanel({
        id: 27,
        title: "Job in Flight per Runner",
        description:
          "The job each selected runner runs now, from its job-started hook (github_runner_job_info: one series per runner, present only while a job runs). A runner without hooks, or idle, has no row.",
        place: { x: 16, y: 68, w: 8, h: 8 },
        query: {
          expr: `max by (runner_name, repository, workflow, job, run_id, run_attempt) (github_runner_job_info{${F}})`,
          legend: "{{runner_name}}",
          table: true,
        },
        unit: "none",
        decimals: 0,
        columns: [
          ["runner_name", "Runner"],
          ["repository", "Repository"],
          ["workflow", "Workflow"],
          ["job", "Job"],
          ["run_id", "Run"],
          ["run_attempt", "Attempt"],
          ["Value", "Running"],
        ],
        sortBy: "Runner",
      }),
    )
    .build();
}
