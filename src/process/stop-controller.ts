import type { Log } from "../common/log.js";
import { STOP_SIGNALS } from "./signals.js";

/** How the supervisor stands towards stopping: not asked, holding SIGTERM for a job, or stopping. */
export type StopState = "running" | "draining" | "stopping";

export interface StopControllerOptions {
  /** Forwards a signal to the child (or its group, in group mode). */
  readonly forward: (signal: NodeJS.Signals) => void;
  /** SIGKILLs the child and everything it started. */
  readonly killAll: () => void;
  /** Escalation: milliseconds after a forwarded SIGTERM/SIGINT before killAll; 0 never. */
  readonly graceMs: number;
  /** Draining: hold SIGTERM while a job runs, at most timeoutMs. */
  readonly drain: {
    readonly enabled: boolean;
    readonly timeoutMs: number;
    readonly jobInFlight: () => string | undefined;
    readonly onJobFinished: (listener: () => void) => () => void;
  };
  readonly onState: (state: StopState) => void;
  readonly log: Log;
}

/**
 * Decides what each incoming signal does. Without draining and escalation this is tini:
 * every signal is forwarded as it comes. The two extras: a SIGTERM that arrives while a job
 * runs is held until that job's completed line (draining), and a child still alive a grace
 * period after a forwarded SIGTERM or SIGINT is killed with its whole session (escalation).
 */
export class StopController {
  private state: StopState = "running";
  private endDrainWait: (() => void) | undefined;
  private escalation: NodeJS.Timeout | undefined;

  constructor(private readonly o: StopControllerOptions) {}

  /** Whether a stop was asked for (a SIGTERM or SIGINT came, held or forwarded). */
  get asked(): boolean {
    return this.state !== "running";
  }

  /** Handles one signal received by the supervisor. */
  receive(signal: NodeJS.Signals): void {
    const stop = STOP_SIGNALS.has(signal);
    if (this.state === "draining" && stop) return this.finishDrain(signal, `${signal} received again`);
    const job = this.state === "running" && signal === "SIGTERM" && this.o.drain.enabled ? this.o.drain.jobInFlight() : undefined;
    if (job !== undefined) return this.startDrain(job);
    this.o.forward(signal);
    if (stop) this.stopping(signal);
  }

  /** The child is gone: nothing is left to wait for or to kill. */
  childExited(): void {
    this.endDrainWait?.();
    this.endDrainWait = undefined;
    clearTimeout(this.escalation);
  }

  private startDrain(job: string): void {
    this.setState("draining");
    const seconds = this.o.drain.timeoutMs / 1000;
    this.o.log(`draining: SIGTERM held until job ${JSON.stringify(job)} finishes (at most ${seconds} s; send SIGTERM again to stop now)`);
    const unsubscribe = this.o.drain.onJobFinished(() => this.finishDrain("SIGTERM", "the job finished"));
    const timer = setTimeout(() => this.finishDrain("SIGTERM", `the job still runs after ${seconds} s`), this.o.drain.timeoutMs);
    this.endDrainWait = () => {
      unsubscribe();
      clearTimeout(timer);
    };
  }

  private finishDrain(signal: NodeJS.Signals, why: string): void {
    this.endDrainWait?.();
    this.endDrainWait = undefined;
    this.o.log(`draining over (${why}): forwarding ${signal}`);
    this.o.forward(signal);
    this.stopping(signal);
  }

  private stopping(signal: NodeJS.Signals): void {
    this.setState("stopping");
    if (this.escalation !== undefined || this.o.graceMs <= 0) return;
    this.escalation = setTimeout(() => {
      this.o.log(`the runner still runs ${this.o.graceMs / 1000} s after ${signal}: killing it and its processes (SIGKILL)`);
      this.o.killAll();
    }, this.o.graceMs);
  }

  private setState(state: StopState): void {
    if (state === this.state) return;
    this.state = state;
    this.o.onState(state);
  }
}
