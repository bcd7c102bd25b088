import split2 from "split2";
import { mayStartEvent } from "../runner/parse.js";

/** Lines longer than this are forwarded whole but not parsed: no runner event line comes close. */
export const MAX_PARSED_LINE = 64 * 1024;

/** A line reader with bounded memory: feed it raw chunks, it calls onLine for each complete line. */
export interface LineTap {
  write(chunk: Buffer): void;
  /** Hands over the last line if it had no newline. */
  end(): Promise<void>;
}

/**
 * Splits a byte stream into lines (decoded as UTF-8, invalid bytes replaced) for the parser.
 * A gate in front of split2 passes on only the lines whose first byte may begin a runner event;
 * the rest (trace lines, step output) are skipped as bytes, never decoded.
 */
export function createLineTap(onLine: (line: string) => void, onError: (error: unknown) => void): LineTap {
  // Split on "\n" as a string (much faster than split2's default /\r?\n/); the parser drops a trailing "\r".
  const splitter = split2(
    "\n",
    (line: string) => {
      // split2 hands over the remainder of an overlong last line at the end: it is not parsed either.
      if (line.length > MAX_PARSED_LINE) return undefined;
      try {
        onLine(line);
      } catch (error) {
        onError(error);
      }
      return undefined; // nothing is pushed: the lines are consumed here
    },
    // skipOverflow is in split2 but not in its type definitions.
    { maxLength: MAX_PARSED_LINE, skipOverflow: true } as split2.Options,
  );
  splitter.on("error", onError);
  splitter.resume();
  const finished = new Promise<void>((resolve) => {
    splitter.once("finish", resolve);
    splitter.once("error", () => resolve());
  });
  let atLineStart = true;
  let passing = false;
  return {
    write: (chunk) => {
      let pos = 0;
      while (pos < chunk.length) {
        if (atLineStart) passing = mayStartEvent(chunk[pos]!);
        const newline = chunk.indexOf(0x0a, pos);
        const end = newline === -1 ? chunk.length : newline + 1;
        if (passing) splitter.write(chunk.subarray(pos, end));
        atLineStart = newline !== -1;
        pos = end;
      }
    },
    end: () => {
      splitter.end();
      return finished;
    },
  };
}
