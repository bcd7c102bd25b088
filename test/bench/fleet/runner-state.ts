// What one runner's supervisor would expose at any moment of its planned month: its state is
// advanced through the runner's events in time order, and every series of a real scrape reads
// its value from that state. The series themselves (names, labels, histogram buckets) are taken
// from a scrape of the built supervisor, so the history has the supervisor's own shapes; the
// metrics it does not expose yet (busy seconds, job phases, its process_* series) are added in
// the shapes the dashboards read.
import { PHASES, STATUS_SHARES, type Job, type RunnerEvent, type RunnerPlan } from "./workload.js";

/** One sample of a real scrape: its name and labels (runner_name and runner_type left out). */
export interface Shape {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  /** The scraped value, kept for series the history does not model (constants). */
  readonly value: number;
}

const STATUSES = STATUS_SHARES.map(([s]) => s);

class Histogram {
  private readonly cumulative: Float64Array;
  sum = 0;
  count = 0;
  constructor(private readonly bounds: readonly number[]) {
    this.cumulative = new Float64Array(bounds.length);
  }
  observe(v: number): void {
    for (let i = 0; i < this.bounds.length; i++) if (v <= this.bounds[i]!) this.cumulative[i]!++;
    this.sum += v;
    this.count++;
  }
  /** The cumulative count of bucket `le` (+Inf: every observation). */
  bucket(le: number): number {
    if (le === Infinity) return this.count;
    const i = this.bounds.indexOf(le);
    return i < 0 ? 0 : this.cumulative[i]!;
  }
}

const counter = () => new Map<string, number>();
const bump = (m: Map<string, number>, key: string, by = 1) => m.set(key, (m.get(key) ?? 0) + by);

/** The supervisor's counters, gauges and histograms for one runner, at the time it was advanced to. */
export class RunnerState {
  online = 1;
  busy = 0;
  jobStart: number | undefined;
  startTime: number;
  /** Seconds of finished jobs since the supervisor (re)started. */
  private busyFinished = 0;
  jobs = counter();
  lastEnd = counter();
  relaunches = counter();
  connectionErrors = counter();
  updates = 0;
  cacheRequests = counter();
  context = counter();
  deployments = counter();
  durations = new Map<string, Histogram>();
  phases = new Map<string, Histogram>();
  queue!: Histogram;
  lead!: Histogram;
  recovery!: Histogram;
  private lastFailedDeployEnd: number | undefined;
  private next = 0;

  constructor(
    private readonly plan: RunnerPlan,
    private readonly buckets: ReadonlyMap<string, readonly number[]>,
    start: number,
  ) {
    this.startTime = start - 86400 * ((plan.index * 0.37) % 1);
    this.reset();
  }

  private bucketsOf(family: string): readonly number[] {
    return this.buckets.get(family) ?? [];
  }

  private reset(): void {
    for (const m of [this.jobs, this.lastEnd, this.relaunches, this.connectionErrors, this.cacheRequests, this.context, this.deployments])
      m.clear();
    this.updates = 0;
    this.busyFinished = 0;
    this.durations = new Map(STATUSES.map((s) => [s, new Histogram(this.bucketsOf("github_runner_job_duration_seconds"))]));
    this.phases = new Map(
      PHASES.flatMap((p) =>
        STATUSES.map((s) => [`${p}|${s}`, new Histogram(this.bucketsOf("github_runner_job_phase_duration_seconds"))] as const),
      ),
    );
    this.queue = new Histogram(this.bucketsOf("github_runner_job_queue_time_seconds"));
    this.lead = new Histogram(this.bucketsOf("github_runner_deploy_lead_time_seconds"));
    this.recovery = new Histogram(this.bucketsOf("github_runner_deploy_recovery_time_seconds"));
  }

  /** Applies every event up to and including time t. */
  advance(t: number): void {
    const events = this.plan.events;
    while (this.next < events.length && events[this.next]!.t <= t) this.apply(events[this.next++]!);
  }

  private apply(e: RunnerEvent): void {
    switch (e.kind) {
      case "job-start":
        this.busy = 1;
        this.online = 1;
        this.jobStart = e.t;
        this.queue.observe(e.job.queueSeconds);
        bump(this.context, "job_started");
        break;
      case "job-end":
        this.finish(e.job);
        break;
      case "disconnect":
        this.online = 0;
        bump(this.connectionErrors, e.reason);
        if (e.relaunch) bump(this.relaunches, "retryable");
        break;
      case "reconnect":
        this.online = 1;
        break;
      case "update":
        this.updates++;
        bump(this.relaunches, "updating");
        break;
      case "restart":
        // A new supervisor process: every counter and histogram starts again from 0.
        this.startTime = e.t;
        this.busy = 0;
        this.jobStart = undefined;
        this.reset();
        break;
    }
  }

  private finish(job: Job): void {
    // A job that started before a restart ended with the old process: nothing to count.
    if (this.jobStart === undefined) return;
    this.busy = 0;
    this.jobStart = undefined;
    this.busyFinished += job.end - job.start;
    bump(this.jobs, job.status);
    this.lastEnd.set(job.status, job.end);
    this.durations.get(job.status)!.observe(job.end - job.start);
    PHASES.forEach((p, i) => this.phases.get(`${p}|${job.status}`)!.observe(job.phases[i]!));
    bump(this.context, "job_completed");
    for (const c of job.cache) {
      bump(this.cacheRequests, `${c.type}|${c.hit ? "hit" : "miss"}`);
      bump(this.context, "cache_report");
    }
    if (job.deploy) {
      bump(this.deployments, job.status);
      if (job.status === "success") {
        if (job.deploy.leadSeconds !== undefined) this.lead.observe(job.deploy.leadSeconds);
        if (this.lastFailedDeployEnd !== undefined) this.recovery.observe(job.end - this.lastFailedDeployEnd);
        this.lastFailedDeployEnd = undefined;
      } else if (job.status === "failed") this.lastFailedDeployEnd ??= job.end;
    }
  }

  /** Seconds spent running jobs since the supervisor started, the job in flight included. */
  busySeconds(t: number): number {
    return this.busyFinished + (this.jobStart !== undefined ? t - this.jobStart : 0);
  }

  /** The supervisor's own CPU time: a little while idle, more while it reads a job's output. */
  cpuSeconds(t: number): number {
    return 0.003 * (t - this.startTime) + 0.006 * this.busySeconds(t);
  }

  /** Resident memory with a daily swing and a bump while busy (about 60 MB, as measured). */
  memoryBytes(t: number): number {
    const wobble = Math.sin((t / 86400) * 2 * Math.PI + this.plan.index) * 3e6;
    const noise = ((Math.imul(Math.floor(t / 30), 2654435761) >>> 0) / 4294967296) * 1e6;
    return Math.round(60e6 + wobble + noise + this.busy * 4e6);
  }
}

/** One series of a runner: its labels and how its value follows from the state (undefined: absent). */
export interface Slot {
  readonly labels: readonly (readonly [string, string])[];
  readonly read: (s: RunnerState, t: number) => number | undefined;
}

const le = (labels: Readonly<Record<string, string>>) => (labels.le === "+Inf" ? Infinity : Number(labels.le));

/** How a sample of the real scrape reads its value from the state. */
function reader(shape: Shape): Slot["read"] {
  const l = shape.labels;
  const histogram = (pick: (s: RunnerState) => Histogram | undefined, suffix: string) => {
    if (suffix === "_bucket") return (s: RunnerState) => pick(s)?.bucket(le(l)) ?? 0;
    if (suffix === "_sum") return (s: RunnerState) => pick(s)?.sum ?? 0;
    return (s: RunnerState) => pick(s)?.count ?? 0;
  };
  const m = /^(.*?)(_bucket|_sum|_count)?$/.exec(shape.name)!;
  const [base, suffix = ""] = [m[1]!, m[2]];
  switch (base) {
    case "github_runner_status":
      return (s) => s.online;
    case "github_runner_busy":
      return (s) => s.busy;
    case "github_runner_jobs_total":
      return (s) => s.jobs.get(l.status!) ?? 0;
    case "github_runner_job_duration_seconds":
      return histogram((s) => s.durations.get(l.status!), suffix);
    case "github_runner_job_phase_duration_seconds":
      return histogram((s) => s.phases.get(`${l.phase}|${l.status}`), suffix);
    case "github_runner_job_queue_time_seconds":
      return histogram((s) => s.queue, suffix);
    case "github_runner_deploy_lead_time_seconds":
      return histogram((s) => s.lead, suffix);
    case "github_runner_deploy_recovery_time_seconds":
      return histogram((s) => s.recovery, suffix);
    case "github_runner_job_start_time_seconds":
      return (s) => s.jobStart;
    case "github_runner_last_job_completion_timestamp_seconds":
      return (s) => s.lastEnd.get(l.status!);
    case "github_runner_uptime_seconds":
      return (s, t) => t - s.startTime;
    case "github_runner_start_time_seconds":
      return (s) => s.startTime;
    case "github_runner_listener_relaunches_total":
      return (s) => s.relaunches.get(l.reason!) ?? 0;
    case "github_runner_connection_errors_total":
      return (s) => s.connectionErrors.get(l.reason!) ?? 0;
    case "github_runner_updates_total":
      return (s) => s.updates;
    case "github_runner_cache_requests_total":
      return (s) => s.cacheRequests.get(`${l.cache_type}|${l.result}`) ?? 0;
    case "github_runner_cache_hit_rate":
      return (s) => {
        const hits = s.cacheRequests.get(`${l.cache_type}|hit`) ?? 0;
        const all = hits + (s.cacheRequests.get(`${l.cache_type}|miss`) ?? 0);
        return all > 0 ? hits / all : undefined;
      };
    case "github_runner_context_messages_total":
      return (s) => s.context.get(l.kind!) ?? 0;
    case "github_runner_deployments_total":
      return (s) => s.deployments.get(l.result!) ?? 0;
    case "github_runner_busy_seconds_total":
      return (s, t) => s.busySeconds(t);
    case "process_cpu_seconds_total":
      return (s, t) => s.cpuSeconds(t);
    case "process_resident_memory_bytes":
      return (s, t) => s.memoryBytes(t);
    default:
      // Not modelled (drain flag, info and version gauges, look-up failures): as scraped.
      return () => shape.value;
  }
}

/**
 * The series an idle scrape of today's build lacks: those that appear once jobs ran (the job in
 * flight, last completions, hit rates) and those of metrics it does not expose yet, in the shapes
 * the dashboards read.
 */
export function missingShapes(scraped: readonly Shape[]): Shape[] {
  const have = new Set(scraped.map((s) => s.name));
  const add: Shape[] = [];
  const need = (name: string, labels: Record<string, string> = {}) => {
    if (!have.has(name)) add.push({ name, labels, value: 0 });
  };
  need("github_runner_busy_seconds_total");
  need("process_resident_memory_bytes");
  need("process_cpu_seconds_total");
  need("github_runner_job_start_time_seconds");
  if (!have.has("github_runner_job_phase_duration_seconds_count")) {
    // Its bucket list is not decided and no panel reads buckets: only +Inf, _sum and _count.
    for (const phase of PHASES) {
      for (const status of STATUSES) {
        add.push({ name: "github_runner_job_phase_duration_seconds_bucket", labels: { phase, status, le: "+Inf" }, value: 0 });
        add.push({ name: "github_runner_job_phase_duration_seconds_sum", labels: { phase, status }, value: 0 });
        add.push({ name: "github_runner_job_phase_duration_seconds_count", labels: { phase, status }, value: 0 });
      }
    }
  }
  if (!have.has("github_runner_last_job_completion_timestamp_seconds"))
    for (const status of STATUSES) add.push({ name: "github_runner_last_job_completion_timestamp_seconds", labels: { status }, value: 0 });
  if (!have.has("github_runner_cache_hit_rate")) {
    const types = new Set(scraped.filter((s) => s.name === "github_runner_cache_requests_total").map((s) => s.labels.cache_type!));
    for (const cache_type of types) add.push({ name: "github_runner_cache_hit_rate", labels: { cache_type }, value: 0 });
  }
  return add;
}

/** Histogram bucket bounds by family, from the shapes. */
export function bucketBounds(shapes: readonly Shape[]): Map<string, number[]> {
  const bounds = new Map<string, Set<number>>();
  for (const s of shapes) {
    if (!s.name.endsWith("_bucket") || s.labels.le === "+Inf") continue;
    const family = s.name.slice(0, -"_bucket".length);
    if (!bounds.has(family)) bounds.set(family, new Set());
    bounds.get(family)!.add(Number(s.labels.le));
  }
  return new Map([...bounds].map(([f, b]) => [f, [...b].sort((x, y) => x - y)]));
}

/** Every series of one runner, labelled as Prometheus stores a scrape of it. */
export function slotsFor(plan: RunnerPlan, shapes: readonly Shape[]): Slot[] {
  return shapes.map((shape) => {
    const labels: Record<string, string> = {
      ...shape.labels,
      __name__: shape.name,
      job: "github-runners",
      instance: `${plan.name}:9091`,
      runner_name: plan.name,
      runner_type: plan.type,
    };
    return { labels: Object.entries(labels).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)), read: reader(shape) };
  });
}
