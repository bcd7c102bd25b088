import split2 from "split2";

/** Lines longer than this are forwarded whole but not parsed: no runner event line comes close. */
export const MAX_PARSED_LINE = 64 * 1024;

/** A line reader with bounded memory: feed it raw chunks, it calls onLine for each complete line. */
export interface LineTap {
  write(chunk: Buffer): void;
  /** Hands over the last line if it had no newline. */
  end(): Promise<void>;
}

/** Splits a byte stream into lines (decoded as UTF-8, invalid bytes replaced) for the parser. */
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
  return {
    write: (chunk) => {
      splitter.write(chunk);
    },
    end: () => {
      splitter.end();
      return finished;
    },
  };
}
