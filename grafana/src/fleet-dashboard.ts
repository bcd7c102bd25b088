// The fleet dashboard (grafana/dashboards/github-runner-fleet-dashboard.json): the same
// questions as the runners dashboard, asked of the series that compose/prometheus/fleet-rules.yml
// records once a minute per runner type. It reads a few series per type whatever the number of
// runners, so it stays fast for a thousand runners over 30 days; without the rules it shows
// No data (the runners dashboard needs no rules). Only the runner-now stats read the runners'
// own gauges, one sample each.
import * as dashboard from "@grafana/grafana-foundation-sdk/dashboard";
import { datasourceVariable, frame, gaugePanel, labelVariable, piePanel, seriesPanel, statPanel, tablePanel } from "./panels.js";

/** The variable matcher every selector of this dashboard carries. */
const T = 'runner_type=~"$runner_type"';
/** Recorded once a minute: Grafana's $__interval never shorter, so windows tile the range exactly. */
const EVERY_MINUTE = "1m";

/** Whole units recorded per minute, summed over each $__interval window. */
const perWindow = (series: string, by: string) => `sum by (${by}) (sum_over_time(${series}{${T}}[$__interval]))`;
/** The same over the dashboard's whole range. */
const overRange = (series: string, matchers = "") => `sum(sum_over_time(${series}{${matchers}${T}}[$__range]))`;

/**
 * A quantile of the queue times recorded in each window, kept only where one was (the +Inf
 * bucket counts them all): over windows of zeros histogram_quantile divides 0 by 0, and NaN would
 * show as a value.
 */
const queueTimeQuantile = (q: number) =>
  `histogram_quantile(${q}, ${perWindow("runner_type:github_runner_job_queue_time_seconds_bucket:increments1m", "le")}) and on() (sum(sum_over_time(runner_type:github_runner_job_queue_time_seconds_bucket:increments1m{le="+Inf", ${T}}[$__interval])) > 0)`;

/** A quantile of a recorded per-job histogram in each window, kept only where a job ended (as queueTimeQuantile). */
const perJobQuantile = (q: number, series: string) =>
  `histogram_quantile(${q}, ${perWindow(series, "le")}) and on() (sum(sum_over_time(${series}{le="+Inf", ${T}}[$__interval])) > 0)`;

/** The fleet dashboard, as Grafana loads it. */
export function fleetDashboard(): dashboard.Dashboard {
  return frame(
    "GitHub Actions Runner Fleet",
    "runner-supervisor-fleet",
    "Fleets of self-hosted GitHub Actions runners supervised by runner-supervisor, by runner type: runners online, jobs, durations, where job time goes, utilization and idle capacity, queue time, connection problems, cache hit rates, supervisor overhead and DORA measures of deploy jobs. Reads the series recorded by compose/prometheus/fleet-rules.yml (No data without them), so it stays fast for thousands of runners over 30 days; exact whole jobs, a minute or two behind. For single runners use the runners dashboard.",
  )
    .withVariable(datasourceVariable())
    .withVariable(labelVariable("runner_type", "Runner type", "label_values(github_runner_info, runner_type)"))
    .withPanel(
      statPanel({
        id: 1,
        title: "Runners Online",
        description:
          "Runners of the selected types online now (github_runner_status = 1), read from the runners' own gauges: one sample per runner.",
        place: { x: 0, y: 0, w: 4, h: 5 },
        queries: [{ expr: `sum(github_runner_status{${T}})`, legend: "online" }],
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
        id: 2,
        title: "Runners Busy",
        description: "Runners of the selected types running a job now (github_runner_busy = 1), read from the runners' own gauges.",
        place: { x: 4, y: 0, w: 4, h: 5 },
        queries: [{ expr: `sum(github_runner_busy{${T}})`, legend: "busy" }],
        unit: "none",
        decimals: 0,
        steps: [[null, "blue"]],
      }),
    )
    .withPanel(
      statPanel({
        id: 3,
        title: "Jobs Finished",
        description:
          "Jobs that finished in the selected time range on runners of the selected types, whatever their result: the recorded per-minute increments of github_runner_jobs_total summed over the range. Whole jobs, exact; the last minute or two are not in yet.",
        place: { x: 8, y: 0, w: 4, h: 5 },
        queries: [{ expr: overRange("runner_type:github_runner_jobs:increments1m"), legend: "jobs" }],
        unit: "none",
        decimals: 0,
        steps: [[null, "blue"]],
      }),
    )
    .withPanel(
      gaugePanel({
        id: 4,
        title: "Job Success Rate",
        description:
          "Share of the jobs finished in the selected time range that succeeded (Succeeded or SucceededWithIssues); skipped jobs are left out, every other result counts against it. No data when no job finished.",
        place: { x: 12, y: 0, w: 4, h: 5 },
        query: {
          expr: `${overRange("runner_type:github_runner_jobs:increments1m", 'status="success", ')} / (${overRange("runner_type:github_runner_jobs:increments1m", 'status!="skipped", ')} > 0)`,
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
      statPanel({
        id: 5,
        title: "Deployment Frequency (successful deploy jobs)",
        description:
          "Deploy jobs that succeeded in the selected time range (github_runner_deployments_total, result=success, recorded per minute). A deploy job is one whose workflow name, job key or environment matches the supervisor's DEPLOY_PATTERN. No data without DEPLOY_PATTERN.",
        place: { x: 16, y: 0, w: 4, h: 5 },
        queries: [
          { expr: overRange("runner_type:github_runner_deployments:increments1m", 'result="success", '), legend: "successful deploys" },
        ],
        unit: "short",
        decimals: 0,
        steps: [[null, "blue"]],
      }),
    )
    .withPanel(
      gaugePanel({
        id: 6,
        title: "Change Failure Rate (failed deploy jobs)",
        description:
          "Deploy jobs that failed divided by deploy jobs that succeeded or failed in the selected time range: the pipeline side of DORA's change failure rate (a failed deploy job, not a deployment that degraded service). Cancelled deploys are left out.",
        place: { x: 20, y: 0, w: 4, h: 5 },
        query: {
          expr: `${overRange("runner_type:github_runner_deployments:increments1m", 'result="failed", ')} / (${overRange("runner_type:github_runner_deployments:increments1m", 'result=~"success|failed", ')} > 0)`,
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
      seriesPanel({
        id: 7,
        title: "Runners Online and Busy",
        description:
          "Runners of each type online, and running a job, averaged over each interval (recorded once a minute from github_runner_status and github_runner_busy).",
        place: { x: 0, y: 5, w: 12, h: 8 },
        queries: [
          {
            expr: `sum by (runner_type) (avg_over_time(runner_type:github_runner_status:sum{${T}}[$__interval]))`,
            legend: "{{runner_type}} online",
          },
          {
            expr: `sum by (runner_type) (avg_over_time(runner_type:github_runner_busy:sum{${T}}[$__interval]))`,
            legend: "{{runner_type}} busy",
          },
        ],
        unit: "short",
        min: 0,
        minInterval: EVERY_MINUTE,
      }),
    )
    .withPanel(
      seriesPanel({
        id: 8,
        title: "Utilization",
        description:
          "Share of the online runners' time spent running jobs, per runner type: busy seconds (github_runner_busy_seconds_total, recorded per minute) over online runner-seconds in each interval. Near 100 % a type has no spare runner and its jobs queue (see the RunnerFleetSaturated alert).",
        place: { x: 12, y: 5, w: 12, h: 8 },
        queries: [
          {
            expr: `${perWindow("runner_type:github_runner_busy_seconds:increments1m", "runner_type")} / (sum by (runner_type) (sum_over_time(runner_type:github_runner_status:sum{${T}}[$__interval])) * 60 > 0)`,
            legend: "{{runner_type}}",
          },
        ],
        unit: "percentunit",
        min: 0,
        max: 1,
        minInterval: EVERY_MINUTE,
      }),
    )
    .withPanel(
      seriesPanel({
        id: 9,
        title: "Idle Capacity",
        description:
          "Runners of each type online and not running a job: the fewest in each interval (the headroom left at the busiest minute) and the average. At 0 new jobs wait for a runner.",
        place: { x: 0, y: 13, w: 12, h: 8 },
        queries: [
          {
            expr: `sum by (runner_type) (min_over_time(runner_type:github_runner_idle:sum{${T}}[$__interval]))`,
            legend: "{{runner_type}} fewest",
          },
          {
            expr: `sum by (runner_type) (avg_over_time(runner_type:github_runner_idle:sum{${T}}[$__interval]))`,
            legend: "{{runner_type}} average",
          },
        ],
        unit: "short",
        min: 0,
        minInterval: EVERY_MINUTE,
      }),
    )
    .withPanel(
      seriesPanel({
        id: 10,
        title: "Jobs per Hour",
        description:
          "Jobs finished per hour, by result: the recorded per-minute increments of github_runner_jobs_total summed over each interval, scaled to an hour.",
        place: { x: 12, y: 13, w: 12, h: 8 },
        queries: [
          {
            expr: `${perWindow("runner_type:github_runner_jobs:increments1m", "status")} * 3600000 / $__interval_ms`,
            legend: "{{status}}",
          },
        ],
        unit: "suffix: jobs/h",
        min: 0,
        minInterval: EVERY_MINUTE,
      }),
    )
    .withPanel(
      seriesPanel({
        id: 11,
        title: "Job Duration Trends",
        description:
          "Median (p50) and 95th percentile (p95) of the durations of all jobs that finished in each interval, from the recorded per-minute increments of the github_runner_job_duration_seconds buckets: estimates exact to the bucket.",
        place: { x: 0, y: 21, w: 12, h: 8 },
        queries: [
          {
            expr: `histogram_quantile(0.5, ${perWindow("runner_type:github_runner_job_duration_seconds_bucket:increments1m", "le")})`,
            legend: "p50",
          },
          {
            expr: `histogram_quantile(0.95, ${perWindow("runner_type:github_runner_job_duration_seconds_bucket:increments1m", "le")})`,
            legend: "p95",
          },
        ],
        unit: "s",
        min: 0,
        minInterval: EVERY_MINUTE,
      }),
    )
    .withPanel(
      seriesPanel({
        id: 12,
        title: "Where Job Time Goes",
        description:
          "Job time by phase (setup, steps, cleanup), stacked: seconds of each phase recorded per minute (github_runner_job_phase_duration_seconds_sum) per second of the interval, that is how many runners were in that phase on average. A phase counts when it ends.",
        place: { x: 12, y: 21, w: 12, h: 8 },
        queries: [
          {
            expr: `${perWindow("runner_type:github_runner_job_phase_duration_seconds_sum:increments1m", "phase")} * 1000 / $__interval_ms`,
            legend: "{{phase}}",
          },
        ],
        unit: "short",
        min: 0,
        stacked: true,
        minInterval: EVERY_MINUTE,
      }),
    )
    .withPanel(
      piePanel({
        id: 13,
        title: "Job Status Distribution",
        description:
          "Jobs finished in the selected time range by result (success, failed, cancelled, skipped, abandoned, unknown), whole jobs from the recorded per-minute increments.",
        place: { x: 0, y: 29, w: 8, h: 8 },
        query: {
          expr: `sum by (status) (sum_over_time(runner_type:github_runner_jobs:increments1m{${T}}[$__range]))`,
          legend: "{{status}}",
        },
      }),
    )
    .withPanel(
      seriesPanel({
        id: 14,
        title: "Queue Time",
        description:
          "How long jobs waited for a runner, p50 and p95 of the jobs that started in each interval, from the recorded per-minute increments of the github_runner_job_queue_time_seconds buckets (GitHub's created_at to started_at; needs GITHUB_API_TOKEN on the supervisors). Intervals without a queue time have no value: No data without a token.",
        place: { x: 8, y: 29, w: 16, h: 8 },
        queries: [
          { expr: queueTimeQuantile(0.5), legend: "p50" },
          { expr: queueTimeQuantile(0.95), legend: "p95" },
        ],
        unit: "s",
        min: 0,
        minInterval: EVERY_MINUTE,
      }),
    )
    .withPanel(
      gaugePanel({
        id: 15,
        title: "Lead Time for Changes (commit to deploy job end)",
        description:
          "Mean lead time, in minutes, of the deploy jobs that succeeded in the selected time range: pushed commit's timestamp to the deploy job's completion (github_runner_deploy_lead_time_seconds sum / count, recorded per minute). Ends when the deploy job ends, not when the change is live.",
        place: { x: 0, y: 37, w: 8, h: 7 },
        query: {
          expr: `${overRange("runner_type:github_runner_deploy_lead_time_seconds_sum:increments1m")} / (${overRange("runner_type:github_runner_deploy_lead_time_seconds_count:increments1m")} > 0) / 60`,
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
      statPanel({
        id: 16,
        title: "Time to Restore (failed deploy to next successful deploy)",
        description:
          "Mean pipeline recovery time in the selected time range: a failed deploy job to the next successful deploy of the same repository and workflow as one runner saw them (github_runner_deploy_recovery_time_seconds sum / count, recorded per minute). Restoring the deploy pipeline, not service after an incident.",
        place: { x: 8, y: 37, w: 8, h: 7 },
        queries: [
          {
            expr: `${overRange("runner_type:github_runner_deploy_recovery_time_seconds_sum:increments1m")} / (${overRange("runner_type:github_runner_deploy_recovery_time_seconds_count:increments1m")} > 0)`,
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
        title: "Connection Problems and Relaunches",
        description:
          "Connection problems the runners reported (connect_error, session_conflict, session_failed, runner_removed) and listener relaunches (retryable, updating), counted per interval from the recorded per-minute increments.",
        place: { x: 16, y: 37, w: 8, h: 7 },
        queries: [
          { expr: perWindow("runner_type:github_runner_connection_errors:increments1m", "reason"), legend: "connection: {{reason}}" },
          { expr: perWindow("runner_type:github_runner_listener_relaunches:increments1m", "reason"), legend: "relaunch: {{reason}}" },
        ],
        unit: "short",
        min: 0,
        decimals: 0,
        bars: true,
        minInterval: EVERY_MINUTE,
      }),
    )
    .withPanel(
      seriesPanel({
        id: 18,
        title: "Cache Hit Rates",
        description:
          "Share of cache look-ups that hit, by cache type, in each interval (github_runner_cache_requests_total recorded per minute), fed by workflow steps with `runner-supervisor report cache`. No data where no step reports.",
        place: { x: 0, y: 44, w: 12, h: 8 },
        queries: [
          {
            expr: `sum by (cache_type) (sum_over_time(runner_type:github_runner_cache_requests:increments1m{result="hit", ${T}}[$__interval])) / (${perWindow("runner_type:github_runner_cache_requests:increments1m", "cache_type")} > 0)`,
            legend: "{{cache_type}}",
          },
        ],
        unit: "percentunit",
        min: 0,
        max: 1,
        minInterval: EVERY_MINUTE,
      }),
    )
    .withPanel(
      seriesPanel({
        id: 19,
        title: "Supervisor Overhead",
        description:
          "The largest runner-supervisor of each type: its resident memory (process_resident_memory_bytes, left axis) and its CPU time per second over a minute (process_cpu_seconds_total, right axis), the highest in each interval.",
        place: { x: 12, y: 44, w: 12, h: 8 },
        queries: [
          {
            expr: `max by (runner_type) (max_over_time(runner_type:process_resident_memory_bytes:max{${T}}[$__interval]))`,
            legend: "{{runner_type}} memory",
          },
          {
            expr: `max by (runner_type) (max_over_time(runner_type:process_cpu_seconds:max_increments1m{${T}}[$__interval])) / 60`,
            legend: "{{runner_type}} CPU",
          },
        ],
        unit: "bytes",
        min: 0,
        rightAxis: { refId: "B", unit: "percentunit" },
        minInterval: EVERY_MINUTE,
      }),
    )
    .withPanel(
      seriesPanel({
        id: 20,
        title: "CPU per Job",
        description:
          "Median (p50) and 95th percentile (p95) of the CPU seconds each job used (github_runner_job_cpu_seconds, from each container's cgroup between the job's start and end lines), from the recorded per-minute increments of its buckets: estimates exact to the bucket. See docs/JOB_RESOURCES.md.",
        place: { x: 0, y: 52, w: 8, h: 8 },
        queries: [
          { expr: perJobQuantile(0.5, "runner_type:github_runner_job_cpu_seconds_bucket:increments1m"), legend: "p50" },
          { expr: perJobQuantile(0.95, "runner_type:github_runner_job_cpu_seconds_bucket:increments1m"), legend: "p95" },
        ],
        unit: "s",
        min: 0,
        minInterval: EVERY_MINUTE,
      }),
    )
    .withPanel(
      seriesPanel({
        id: 21,
        title: "Cores Used by Jobs vs CPU Limit",
        description:
          "Per runner type: CPU seconds jobs used per second the runners were busy (recorded increments of github_runner_job_cpu_seconds_sum over those of github_runner_busy_seconds_total), the cores a job keeps busy on average, beside the largest CPU limit of the type's containers (absent without a limit).",
        place: { x: 8, y: 52, w: 8, h: 8 },
        queries: [
          {
            expr: `${perWindow("runner_type:github_runner_job_cpu_seconds_sum:increments1m", "runner_type")} / (${perWindow("runner_type:github_runner_busy_seconds:increments1m", "runner_type")} > 0)`,
            legend: "{{runner_type}} used",
          },
          {
            expr: `max by (runner_type) (max_over_time(runner_type:github_runner_container_cpu_limit_cores:max{${T}}[$__interval]))`,
            legend: "{{runner_type}} limit",
          },
        ],
        unit: "short",
        min: 0,
        minInterval: EVERY_MINUTE,
      }),
    )
    .withPanel(
      seriesPanel({
        id: 22,
        title: "Peak Memory per Job vs Memory Limit",
        description:
          "Median (p50) and 95th percentile (p95) of each job's peak memory (github_runner_job_memory_peak_bytes, recorded bucket increments), beside the largest memory limit of each type's containers (absent without a limit): jobs use at most the p95 of the limit they get.",
        place: { x: 16, y: 52, w: 8, h: 8 },
        queries: [
          { expr: perJobQuantile(0.5, "runner_type:github_runner_job_memory_peak_bytes_bucket:increments1m"), legend: "p50" },
          { expr: perJobQuantile(0.95, "runner_type:github_runner_job_memory_peak_bytes_bucket:increments1m"), legend: "p95" },
          {
            expr: `max by (runner_type) (max_over_time(runner_type:github_runner_container_memory_limit_bytes:max{${T}}[$__interval]))`,
            legend: "{{runner_type}} limit",
          },
        ],
        unit: "bytes",
        min: 0,
        minInterval: EVERY_MINUTE,
      }),
    )
    .withPanel(
      seriesPanel({
        id: 23,
        title: "Why Jobs Did Not Succeed",
        description:
          "Jobs that did not succeed in each interval, by cause (recorded increments of github_runner_job_failures_total), stacked: oom_killed, runner_stopped, runner_lost, cancelled, abandoned, job_failed. The rules are in docs/JOB_RESOURCES.md.",
        place: { x: 0, y: 60, w: 12, h: 8 },
        queries: [{ expr: perWindow("runner_type:github_runner_job_failures:increments1m", "cause"), legend: "{{cause}}" }],
        unit: "none",
        min: 0,
        stacked: true,
        minInterval: EVERY_MINUTE,
      }),
    )
    .withPanel(
      statPanel({
        id: 24,
        title: "OOM Kills During Jobs",
        description:
          "Processes the kernel's OOM killer killed in the runners' containers while a job ran, in the selected time range (recorded increments of github_runner_job_oom_kills_total).",
        place: { x: 12, y: 60, w: 4, h: 8 },
        queries: [{ expr: overRange("runner_type:github_runner_job_oom_kills:increments1m"), legend: "OOM kills" }],
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
        id: 25,
        title: "Jobs in Flight by Workflow",
        description:
          "Jobs running now, by repository and workflow: runners whose github_runner_job_info (one series per runner, present only while its job runs) names them. An instant query: one sample per busy runner.",
        place: { x: 16, y: 60, w: 8, h: 8 },
        query: { expr: `count by (repository, workflow) (github_runner_job_info{${T}})`, legend: "{{workflow}}", table: true },
        unit: "none",
        decimals: 0,
        columns: [
          ["repository", "Repository"],
          ["workflow", "Workflow"],
          ["Value", "Jobs running"],
        ],
        sortBy: "Jobs running",
      }),
    )
    .build();
}
