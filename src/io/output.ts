import type { Writable } from "node:stream";
import { createLog, type Log } from "../log.js";
import { fdSink } from "./fd-sink.js";

/** The supervisor's own stdout and stderr, and its log on stderr. */
export interface Output {
  readonly stdout: Writable;
  readonly stderr: Writable;
  readonly log: Log;
  /** Waits until everything written is with the kernel (never ends the descriptors). */
  flush(): Promise<void>;
}

export function openOutput(): Output {
  const stdout = fdSink(1);
  const stderr = fdSink(2);
  return { stdout, stderr, log: createLog(stderr), flush: async () => void (await Promise.all([flush(stdout), flush(stderr)])) };
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
