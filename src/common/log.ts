/** Prefix of every line the supervisor itself writes (always to stderr). */
export const LOG_PREFIX = "runner-supervisor: ";

export type Log = (message: string) => void;

/** A log that says at most `max` things: for failures that could repeat with every line or scrape. */
export function logAtMost(max: number, log: Log): Log {
  let said = 0;
  return (message) => {
    if (++said <= max) log(message);
  };
}

/** What went wrong, in one line. */
export function describeError(error: unknown, withStack = false): string {
  if (!(error instanceof Error)) return String(error);
  return withStack ? (error.stack ?? error.message) : error.message;
}
