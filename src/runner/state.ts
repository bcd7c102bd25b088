import { systemClock, type Clock } from "../common/clock.js";
import type { JobContext } from "../messages/job-context.js";
import type { HookKind } from "../messages/message.js";
import type { RunnerEvent } from "./events.js";
import { statusOf, type JobPhaseSeconds, type JobStatus } from "./jobs.js";

/** What the tracker is told: a console event, or that the child (run.sh) has exited. */
export type TrackerInput = RunnerEvent | { readonly type: "child-exited" };

/** A job that ended, with how long it ran (undefined when its start was never seen). */
export interface FinishedJob {
  readonly type: "job-finished";
  readonly name: string;
  readonly status: JobStatus;
  readonly durationSeconds: number | undefined;
  readonly finishedAtEpochSeconds: number;
  /** What the job's hooks said about it; undefined when no hook reached the supervisor. */
  readonly context: JobContext | undefined;
  /** The phases whose two bounding moments were both seen, in order. */
  readonly phases: JobPhaseSeconds;
  /** When each moment the supervisor saw happened (Unix ms), for a trace of the job; absent when not seen. */
  readonly moments?: JobMoments | undefined;
}

/** The four moments that bound a job's phases, in Unix milliseconds; a moment not seen is absent. */
export interface JobMoments {
  /** The `Running job` line. */
  readonly startedAtMs?: number;
  readonly startedHookAtMs?: number;
  readonly completedHookAtMs?: number;
  /** The completed line (absent when the job was closed without one). */
  readonly completedLineAtMs?: number;
}

/** A job in flight learned its context from a hook. */
export interface JobContextChange {
  readonly type: "job-context";
  readonly jobName: string;
  readonly context: JobContext;
}

/** What changed because of one input: derived facts, plus the event itself for the counters. */
export type Change =
  | TrackerInput
  | { readonly type: "online"; readonly online: boolean }
  | { readonly type: "busy"; readonly busy: boolean; readonly sinceEpochSeconds: number }
  | FinishedJob
  | JobContextChange;

interface JobInFlight {
  readonly name: string;
  /** The `Running job` line. */
  readonly startedMonoMs: number;
  context?: JobContext;
  /** When the job's started hook reached the supervisor (before the line, when it came first). */
  startedHookMonoMs?: number;
  /** When the job's completed hook reached the supervisor. */
  completedHookMonoMs?: number;
}

/** A job-started hook that arrived before its job's console line is kept this long for it. */
const PENDING_CONTEXT_MS = 30_000;

// Inputs after which the listener holds a session with GitHub (online), or has lost it.
const ONLINE_AFTER = new Set<TrackerInput["type"]>(["listening", "reconnected", "job-started"]);
const OFFLINE_AFTER = new Set<TrackerInput["type"]>([
  "connect-error",
  "session-conflict",
  "session-failed",
  "runner-removed",
  "update-started",
  "listener-exit",
  "exiting",
  "child-exited",
]);
// A job that never printed its completed line is closed at the next of these.
const CLOSES_OPEN_JOB = new Set<TrackerInput["type"]>(["job-started", "listening", "child-exited"]);

/**
 * The runner's state as its console shows it: online or not, and the one job in flight.
 * Turns each input into the list of changes the metrics need; knows nothing of metrics itself.
 */
export class RunnerTracker {
  private online = false;
  private job: JobInFlight | undefined;
  private pending: { context: JobContext; atMonoMs: number } | undefined;

  constructor(private readonly clock: Clock = systemClock) {}

  /** Whether the listener is connected (listening or running a job). */
  get isOnline(): boolean {
    return this.online;
  }

  /** The name of the job in flight, if any. */
  get currentJob(): string | undefined {
    return this.job?.name;
  }

  /** Applies one input and returns what changed, in order. */
  apply(input: TrackerInput): Change[] {
    const changes: Change[] = [];
    if (CLOSES_OPEN_JOB.has(input.type) && this.job) changes.push(...this.finish(this.job.name, "unknown"));

    if (input.type === "job-started") {
      this.job = { name: input.name, startedMonoMs: this.clock.monotonicMs() };
      changes.push({ type: "busy", busy: true, sinceEpochSeconds: this.clock.epochMs() / 1000 });
      const pending = this.pending;
      this.pending = undefined;
      if (pending && this.clock.monotonicMs() - pending.atMonoMs <= PENDING_CONTEXT_MS)
        changes.push(...this.attach(pending.context, pending.atMonoMs));
    } else if (input.type === "job-completed") {
      changes.push(...this.finish(input.name, statusOf(input.result), true));
    }

    if (ONLINE_AFTER.has(input.type)) changes.push(...this.setOnline(true));
    else if (OFFLINE_AFTER.has(input.type)) changes.push(...this.setOnline(false));

    changes.push(input);
    return changes;
  }

  /**
   * A hook's context for the job in flight. The console line and the hook travel on different
   * paths, so a started hook may arrive first (kept for the next job, briefly) or while the
   * previous job's completed line is still on its way (then it is not that job's context).
   */
  hookContext(context: JobContext, hook: HookKind): Change[] {
    const job = this.job;
    const now = this.clock.monotonicMs();
    if (job && (!job.context || sameJob(job.context, context))) {
      // The first hook of each kind for the job in flight marks its moment.
      if (hook === "job-completed") job.completedHookMonoMs ??= now;
      else if (job.completedHookMonoMs === undefined) job.startedHookMonoMs ??= now;
      return job.context ? [] : this.attach(context);
    }
    // A completed hook belongs to the job in flight or to none.
    if (hook === "job-completed") return [];
    this.pending = { context, atMonoMs: now };
    return [];
  }

  private attach(context: JobContext, startedHookMonoMs?: number): Change[] {
    if (!this.job) return [];
    this.job.context = context;
    if (startedHookMonoMs !== undefined) this.job.startedHookMonoMs = startedHookMonoMs;
    return [{ type: "job-context", jobName: this.job.name, context }];
  }

  /** Ends the job in flight; `sawCompletedLine` is false when it is closed without one (unknown). */
  private finish(name: string, status: JobStatus, sawCompletedLine = false): Change[] {
    const job = this.job;
    this.job = undefined;
    const nowMono = this.clock.monotonicMs();
    const nowEpoch = this.clock.epochMs() / 1000;
    const finished: FinishedJob = {
      type: "job-finished",
      name,
      status,
      durationSeconds: job ? Math.max(0, (nowMono - job.startedMonoMs) / 1000) : undefined,
      finishedAtEpochSeconds: nowEpoch,
      context: job?.context,
      phases: job ? phasesOf(job, sawCompletedLine ? nowMono : undefined) : {},
      moments: job ? momentsOf(job, nowMono, nowEpoch * 1000, sawCompletedLine) : {},
    };
    return job ? [finished, { type: "busy", busy: false, sinceEpochSeconds: nowEpoch }] : [finished];
  }

  private setOnline(online: boolean): Change[] {
    if (online === this.online) return [];
    this.online = online;
    return [{ type: "online", online }];
  }
}

/**
 * Each phase from its two bounding moments, when both were seen and in order; never a guess. A
 * started hook that reached the supervisor before the job's console line leaves setup untimed.
 */
function phasesOf(job: JobInFlight, completedLineMonoMs: number | undefined): JobPhaseSeconds {
  const between = (from: number | undefined, to: number | undefined) =>
    from !== undefined && to !== undefined && to >= from ? (to - from) / 1000 : undefined;
  const phases: Partial<Record<keyof JobPhaseSeconds, number>> = {};
  const setup = between(job.startedMonoMs, job.startedHookMonoMs);
  const steps = between(job.startedHookMonoMs, job.completedHookMonoMs);
  const cleanup = between(job.completedHookMonoMs, completedLineMonoMs);
  if (setup !== undefined) phases.setup = setup;
  if (steps !== undefined) phases.steps = steps;
  if (cleanup !== undefined) phases.cleanup = cleanup;
  return phases;
}

/** The job's moments on the wall clock, placed by the monotonic clock so that a clock step cannot reorder them. */
function momentsOf(job: JobInFlight, nowMono: number, nowEpochMs: number, sawCompletedLine: boolean): JobMoments {
  const at = (mono: number | undefined) => (mono === undefined ? undefined : nowEpochMs - (nowMono - mono));
  const moments: { -readonly [K in keyof JobMoments]: number } = { startedAtMs: at(job.startedMonoMs)! };
  const startedHook = at(job.startedHookMonoMs);
  const completedHook = at(job.completedHookMonoMs);
  if (startedHook !== undefined) moments.startedHookAtMs = startedHook;
  if (completedHook !== undefined) moments.completedHookAtMs = completedHook;
  if (sawCompletedLine) moments.completedLineAtMs = nowEpochMs;
  return moments;
}

function sameJob(a: JobContext, b: JobContext): boolean {
  return a.runId === b.runId && a.runAttempt === b.runAttempt && a.job === b.job && a.repository === b.repository;
}
