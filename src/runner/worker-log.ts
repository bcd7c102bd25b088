/**
 * The steps of one job, read from its worker's diagnostic log (`_diag/Worker_*.log`). The lines
 * are the runner's internal trace, not an API (actions/runner: StepsRunner, the composite action
 * handler, the background step coordinator, ProcessInvoker): read defensively, bounded, and when
 * none of them looks as expected, say so and give no steps rather than wrong ones.
 */

/** One step as the log shows it: times are the log's, in whole seconds (Unix ms). */
export interface StepRecord {
  readonly name: string;
  /** Index of the step it ran inside (a composite action's embedded step), or undefined. */
  readonly parent: number | undefined;
  /** "Processing step" line, or the moment it started (background: when it got its slot). */
  startMs: number;
  /** When its result was written; undefined when the log ended first. */
  endMs: number | undefined;
  /** The runner's TaskResult as written (Succeeded, Failed, Canceled, Skipped, ...); undefined when none was. */
  result: string | undefined;
  /** Exit code of the last process the step ran, when it could be told apart from others'. */
  exitCode: number | undefined;
  readonly background: boolean;
}

/** What the log said about the job's steps. */
export interface StepsOutcome {
  /** "ok": the format was recognised; "unknown-format": lines were read, none in the expected form; "no-log": nothing was read. */
  readonly state: "ok" | "unknown-format" | "no-log";
  readonly steps: readonly StepRecord[];
  /** Steps not kept because the job had more than the bound. */
  readonly dropped: number;
}

/** Steps kept per job; beyond this they are counted, not kept. */
export const MAX_STEPS = 500;
/** Characters kept of a step's display name (user text). */
export const MAX_NAME = 256;
const MAX_DEPTH = 16;
/** Lines read before a log without one header in the runner's form is called an unknown format. */
const HEADER_GRACE_LINES = 200;

// [2026-11-25 10:01:02Z INFO StepsRunner] message
const HEADER = /^\[(\d{4})-(\d\d)-(\d\d) (\d\d):(\d\d):(\d\d)Z (?:INFO|VERB|WARN|ERR |CRIT) [A-Za-z0-9_.]{1,64}\] (.*)$/s;
const PROCESSING = /^Processing (embedded )?step: DisplayName='(.*)'$/s;
const STEP_RESULT = /^Step result: ?([A-Za-z]*)$/;
const FINISHED_PROCESS = /^Finished process (\d+) with exit code (-?\d+), and elapsed time /;
const BACKGROUND = /^Background step '(.{1,256})' (queued \(|acquired slot\.$|completed with result: ([A-Za-z]*)$)/s;

/** Turns the lines of one job's worker log, in order, into its steps; memory bounded whatever the lines hold. */
export class StepTimeline {
  private readonly steps: StepRecord[] = [];
  private dropped = 0;
  private linesRead = 0;
  private headers = 0;
  private lastMs: number | undefined;
  /** Steps processed and not yet ended, innermost last: each index into steps (-1 for a dropped step). */
  private readonly open: number[] = [];
  private readonly started = new Set<number>();
  private readonly background = new Map<string, number>();

  /** Feeds one line (without its newline). */
  line(line: string): void {
    this.linesRead++;
    const m = HEADER.exec(line);
    if (!m) return; // a wrapped continuation (an exception, a JSON dump) or not the runner's
    this.headers++;
    const at = Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +m[6]!);
    this.lastMs = at;
    this.message(m[7]!, at);
  }

  /** What the log said, as far as it was read. */
  outcome(): StepsOutcome {
    if (this.linesRead === 0) return { state: "no-log", steps: [], dropped: 0 };
    if (this.headers === 0 || (this.steps.length === 0 && this.dropped === 0 && this.linesRead >= HEADER_GRACE_LINES)) {
      return { state: "unknown-format", steps: [], dropped: 0 };
    }
    return { state: "ok", steps: this.steps, dropped: this.dropped };
  }

  /** Whether enough was read to call the format unknown already (the follower may stop early). */
  get formatUnknown(): boolean {
    return this.linesRead >= HEADER_GRACE_LINES && this.headers === 0;
  }

  /** The time of the last line with a header, for steps the log never ended. */
  get lastSeenMs(): number | undefined {
    return this.lastMs;
  }

  private message(text: string, at: number): void {
    const processing = PROCESSING.exec(text);
    if (processing) return this.processing(processing[2]!, processing[1] !== undefined, at);
    if (text === "Starting the step." || text.startsWith("Starting: ")) return this.starting(at);
    if (text === "Skipping step due to condition evaluation.") return this.end(this.innermost(false), at, "Skipped");
    const result = STEP_RESULT.exec(text);
    if (result) return this.end(this.innermost(true), at, result[1] || undefined);
    const finished = FINISHED_PROCESS.exec(text);
    if (finished) return this.processFinished(Number(finished[2]));
    const bg = BACKGROUND.exec(text);
    if (bg) this.backgroundLine(bg[1]!, bg[2]!, bg[3], at);
  }

  private processing(name: string, embedded: boolean, at: number): void {
    if (!embedded) {
      // A top-level step begins: whatever is still open never wrote a result (a condition that
      // failed to evaluate, for one); it stays without an end rather than get a made-up one.
      this.open.length = 0;
    }
    const parent = embedded ? this.innermost(true) : undefined;
    if (this.steps.length >= MAX_STEPS || this.open.length >= MAX_DEPTH) {
      this.dropped++;
      this.open.push(-1);
      return;
    }
    this.steps.push({
      name: name.slice(0, MAX_NAME),
      parent: parent === undefined || parent < 0 ? undefined : parent,
      startMs: at,
      endMs: undefined,
      result: undefined,
      exitCode: undefined,
      background: false,
    });
    this.open.push(this.steps.length - 1);
  }

  private starting(at: number): void {
    const index = this.open.at(-1);
    if (index === undefined || index < 0 || this.started.has(index)) return;
    this.started.add(index);
    this.steps[index]!.startMs = at;
  }

  /** The innermost open step: started ones only (a result), or the newest whatever its state (a skip). */
  private innermost(startedOnly: boolean): number | undefined {
    for (let i = this.open.length - 1; i >= 0; i--) {
      const index = this.open[i]!;
      if (!startedOnly || index < 0 || this.started.has(index)) return index;
    }
    return undefined;
  }

  private end(index: number | undefined, at: number, result: string | undefined): void {
    if (index === undefined) return;
    const position = this.open.lastIndexOf(index);
    if (position >= 0) this.open.length = position;
    if (index < 0) return;
    const step = this.steps[index]!;
    step.endMs = at;
    step.result = result;
  }

  private processFinished(exitCode: number): void {
    // With a background step running, a process's exit cannot be told to be the foreground step's.
    for (const index of this.background.values()) if (this.steps[index]?.endMs === undefined && this.started.has(index)) return;
    const index = this.innermost(true);
    if (index !== undefined && index >= 0) this.steps[index]!.exitCode = exitCode;
  }

  private backgroundLine(id: string, what: string, result: string | undefined, at: number): void {
    if (what.startsWith("queued")) {
      // The step being processed goes to the background: the steps runner moves on without it.
      const index = this.open.pop();
      if (index === undefined || index < 0) return;
      (this.steps[index] as { background: boolean }).background = true;
      if (this.background.size < MAX_STEPS) this.background.set(id, index);
      return;
    }
    const index = this.background.get(id);
    if (index === undefined) return;
    const step = this.steps[index]!;
    if (what.startsWith("acquired")) {
      step.startMs = at;
      this.started.add(index);
    } else {
      step.endMs = at;
      step.result = result || undefined;
      this.background.delete(id);
    }
  }
}
