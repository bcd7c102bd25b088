import type { RunnerEvent } from "./events.js";
import { statusOf, type JobStatus } from "./jobs.js";

/** What the tracker is told: a console event, or that the child (run.sh) has exited. */
export type TrackerInput = RunnerEvent | { readonly type: "child-exited" };

/** A job that ended, with how long it ran (undefined when its start was never seen). */
export interface FinishedJob {
  readonly type: "job-finished";
  readonly name: string;
  readonly status: JobStatus;
  readonly durationSeconds: number | undefined;
  readonly finishedAtEpochSeconds: number;
}

/** What changed because of one input: derived facts, plus the event itself for the counters. */
export type Change =
  | TrackerInput
  | { readonly type: "online"; readonly online: boolean }
  | { readonly type: "busy"; readonly busy: boolean; readonly sinceEpochSeconds: number }
  | FinishedJob;

/** Time as the tracker needs it: a monotonic clock for durations, the wall clock for timestamps. */
export interface Clock {
  monotonicMs(): number;
  epochMs(): number;
}

export const systemClock: Clock = {
  monotonicMs: () => performance.now(),
  epochMs: () => Date.now(),
};

interface JobInFlight {
  readonly name: string;
  readonly startedMonoMs: number;
}

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
    } else if (input.type === "job-completed") {
      changes.push(...this.finish(input.name, statusOf(input.result)));
    }

    if (ONLINE_AFTER.has(input.type)) changes.push(...this.setOnline(true));
    else if (OFFLINE_AFTER.has(input.type)) changes.push(...this.setOnline(false));

    changes.push(input);
    return changes;
  }

  private finish(name: string, status: JobStatus): Change[] {
    const job = this.job;
    this.job = undefined;
    const nowEpoch = this.clock.epochMs() / 1000;
    const finished: FinishedJob = {
      type: "job-finished",
      name,
      status,
      durationSeconds: job ? Math.max(0, (this.clock.monotonicMs() - job.startedMonoMs) / 1000) : undefined,
      finishedAtEpochSeconds: nowEpoch,
    };
    return job ? [finished, { type: "busy", busy: false, sinceEpochSeconds: nowEpoch }] : [finished];
  }

  private setOnline(online: boolean): Change[] {
    if (online === this.online) return [];
    this.online = online;
    return [{ type: "online", online }];
  }
}
