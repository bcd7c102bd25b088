import { Worker } from "node:worker_threads";
import type { CheckRequest, CheckResult } from "./password-worker.js";

export interface CheckerLimits {
  /** Checks waiting beside the one in progress; more are refused at once. */
  readonly maxWaiting: number;
  /** The thread ends after this long without a check (it is started again for the next one). */
  readonly idleMs: number;
  /** Told when the thread fails to start or dies: the checks it had fail, and nothing else would say why. */
  readonly onFailure?: (error: Error) => void;
}

/** A check's outcome and how long the thread took for it. */
export interface Checked {
  readonly ok: boolean;
  readonly ms: number;
}

/** Places for urgent checks beyond maxWaiting. */
const URGENT_ROOM = 2;

interface Job {
  readonly request: CheckRequest;
  readonly resolve: (checked: Checked) => void;
  readonly reject: (error: Error) => void;
}

/**
 * bcrypt checks on a worker thread, never on the main thread that carries the runner's output.
 * The thread starts with the first check, does one at a time, and ends when idle; a bounded
 * queue refuses what it cannot take, so a flood never piles up work or memory.
 */
export class PasswordChecker {
  private worker: Worker | undefined;
  private running: Job | undefined;
  private readonly queue: Job[] = [];
  private idleTimer: NodeJS.Timeout | undefined;
  private nextId = 0;

  constructor(
    private readonly file: string | URL,
    private readonly limits: CheckerLimits,
  ) {}

  /** Whether a check would be taken now. */
  get hasRoom(): boolean {
    return this.running === undefined || this.queue.length < this.limits.maxWaiting;
  }

  /**
   * Whether `password` matches the bcrypt `hash`; undefined when the queue is full. An urgent check
   * (from a client in good standing) goes before the others and may wait beyond maxWaiting.
   * Rejects when the thread fails.
   */
  check(password: string, hash: string, urgent = false): Promise<Checked> | undefined {
    if (!this.hasRoom && !(urgent && this.queue.length < this.limits.maxWaiting + URGENT_ROOM)) return undefined;
    return new Promise((resolve, reject) => {
      const job = { request: { id: this.nextId++, password, hash }, resolve, reject };
      if (urgent) this.queue.unshift(job);
      else this.queue.push(job);
      this.startNext();
    });
  }

  /** Ends the thread and fails what waits. */
  close(): void {
    this.stop(new Error("the password checker was closed"));
  }

  private startNext(): void {
    if (this.running || this.queue.length === 0) return;
    clearTimeout(this.idleTimer);
    this.running = this.queue.shift()!;
    this.thread().postMessage(this.running.request);
  }

  private thread(): Worker {
    if (this.worker) return this.worker;
    // Small heaps: bcrypt needs a few kilobytes of tables, nothing more.
    const worker = new Worker(this.file, {
      resourceLimits: { maxOldGenerationSizeMb: 8, maxYoungGenerationSizeMb: 1 },
      stdout: false,
      stderr: false,
    });
    worker.unref();
    worker.on("message", (result: CheckResult) => this.finished(result));
    worker.on("error", (error) => this.fail(error));
    worker.on("exit", () => {
      if (this.worker === worker) this.fail(new Error("the password checker's thread exited"));
    });
    this.worker = worker;
    return worker;
  }

  private finished(result: CheckResult): void {
    const job = this.running;
    if (!job || job.request.id !== result.id) return;
    this.running = undefined;
    job.resolve({ ok: result.ok, ms: result.ms });
    if (this.queue.length > 0) this.startNext();
    else this.idleTimer = setTimeout(() => this.stop(undefined), this.limits.idleMs).unref();
  }

  private fail(error: Error): void {
    this.limits.onFailure?.(error);
    this.stop(error);
  }

  /** Ends the thread; with an error, what was asked of it fails with that error. */
  private stop(error: Error | undefined): void {
    clearTimeout(this.idleTimer);
    const worker = this.worker;
    this.worker = undefined;
    if (worker) void worker.terminate();
    const failed = [...(this.running ? [this.running] : []), ...this.queue.splice(0)];
    this.running = undefined;
    for (const job of failed) job.reject(error ?? new Error("the password checker stopped"));
  }
}
