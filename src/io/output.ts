import type { Writable } from "node:stream";
import { LOG_PREFIX, type Log } from "../common/log.js";
import { fdSink } from "./fd-sink.js";

/** The supervisor's own stdout and stderr, and its log on stderr. */
export interface Output {
  readonly stdout: Writable;
  readonly stderr: Writable;
  readonly log: Log;
  /** Told of every chunk of the runner's stderr once it is written, so a log line never splits one of its lines. */
  readonly runnerWroteStderr: (chunk: Buffer) => void;
  /** Waits until everything written is with the kernel (never ends the descriptors). */
  flush(): Promise<void>;
}

/** How long a log line waits for the runner to end the line it is writing on stderr. */
const HOLD_MS = 1_000;
/** Log lines held at most while it does; more are dropped (and counted in the next one written). */
const HOLD_LINES = 32;

export function openOutput(): Output {
  const stdout = fdSink(1);
  const stderr = fdSink(2);
  const log = lineAwareLog(stderr);
  return {
    stdout,
    stderr,
    log: log.write,
    runnerWroteStderr: log.runnerWrote,
    flush: async () => {
      log.release();
      await Promise.all([flush(stdout), flush(stderr)]);
    },
  };
}

/**
 * The supervisor's log shares stderr with the runner, whose output arrives in chunks that need
 * not end at a line's end: while the runner is in the middle of a line, a log line waits (at
 * most HOLD_MS) for it to end, so the runner's lines reach the log reader whole.
 */
function lineAwareLog(sink: Writable): { write: Log; runnerWrote: (chunk: Buffer) => void; release: () => void } {
  let midLine = false;
  let held: string[] = [];
  let dropped = 0;
  let timer: NodeJS.Timeout | undefined;
  const release = () => {
    if (timer) clearTimeout(timer);
    timer = undefined;
    if (dropped > 0) held.push(`${LOG_PREFIX}${dropped} more log lines dropped while the runner's line was open\n`);
    if (held.length > 0) sink.write(held.join(""));
    held = [];
    dropped = 0;
  };
  return {
    write: (message) => {
      const line = `${LOG_PREFIX}${message.replace(/[\r\n]+/g, " ")}\n`;
      if (!midLine && held.length === 0) {
        sink.write(line);
        return;
      }
      if (held.length < HOLD_LINES) held.push(line);
      else dropped++;
      timer ??= setTimeout(release, HOLD_MS).unref();
    },
    runnerWrote: (chunk) => {
      if (chunk.length === 0) return;
      midLine = chunk[chunk.length - 1] !== 0x0a;
      if (!midLine && held.length > 0) release();
    },
    release,
  };
}

/**
 * Waits until everything written to the sink is with the kernel. It never ends the sink: ending a
 * socket shuts it down for every other process that writes to it too.
 */
function flush(sink: Writable): Promise<void> {
  return new Promise((resolve) => {
    if (sink.destroyed || sink.writableLength === 0) return resolve();
    sink.once("error", () => resolve());
    // An empty write completes after every write queued before it.
    sink.write(Buffer.alloc(0), () => resolve());
  });
}
