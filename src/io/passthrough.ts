import { monotonicMs } from "../common/clock.js";
import type { Readable, Writable } from "node:stream";

export interface PassThroughOptions {
  /** Sees every chunk after it was handed to the sink; must not throw. */
  readonly tap: (chunk: Buffer) => void;
  /** Told once when the sink fails (say, our stdout was closed). */
  readonly onSinkError: (error: Error) => void;
}

/** A running copy from the child's pipe to our own descriptor. */
export interface PassThrough {
  /** Resolves when the source has ended (or was stopped) and everything read has been handed on. */
  readonly ended: Promise<void>;
  /** Whether the copy waits for the sink to drain (the source is paused). */
  readonly waiting: () => boolean;
  /** Milliseconds (monotonic) when the last chunk arrived. */
  readonly lastDataMs: () => number;
  /** Stops reading the source (a grandchild may hold the pipe open forever). */
  readonly stop: () => void;
}

/**
 * Copies bytes from source to sink unchanged and in order, pausing the source while the sink
 * is full. If the sink fails, output is dropped but the source is still read, so the child
 * never blocks on a full pipe and the tap keeps seeing its lines.
 */
export function passThrough(source: Readable, sink: Writable, options: PassThroughOptions): PassThrough {
  let sinkBroken = false;
  let waiting = false;
  let lastData = monotonicMs();
  sink.on("error", (error) => {
    if (sinkBroken) return;
    sinkBroken = true;
    if (waiting) {
      waiting = false;
      source.resume();
    }
    options.onSinkError(error);
  });

  const ended = new Promise<void>((resolve) => {
    source.once("end", resolve);
    source.once("close", resolve);
    source.once("error", resolve);
  });

  source.on("data", (chunk: Buffer) => {
    lastData = monotonicMs();
    if (!sinkBroken && !sink.write(chunk) && !waiting) {
      waiting = true;
      source.pause();
      sink.once("drain", () => {
        waiting = false;
        source.resume();
      });
    }
    options.tap(chunk);
  });

  return {
    ended,
    waiting: () => waiting,
    lastDataMs: () => lastData,
    stop: () => source.destroy(),
  };
}
