import type { Writable } from "node:stream";

/** Prefix of every line the supervisor itself writes (always to stderr). */
export const LOG_PREFIX = "runner-supervisor: ";

export type Log = (message: string) => void;

/** A logger writing one prefixed line per message to the given stderr sink. */
export function createLog(sink: Writable): Log {
  return (message) => {
    sink.write(`${LOG_PREFIX}${message.replace(/[\r\n]+/g, " ")}\n`);
  };
}
