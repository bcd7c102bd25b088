import { open, readdir, stat, type FileHandle } from "node:fs/promises";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";

/** Worker_YYYYMMDD-HHMMSS-utc.log: the runner names each page of a worker's log by the UTC second it was opened. */
const WORKER_LOG = /^Worker_(\d{4})(\d\d)(\d\d)-(\d\d)(\d\d)(\d\d)-utc\.log$/;

export interface FollowOptions {
  /** The runner's _diag directory. */
  readonly diagDir: string;
  /** The job's start (the `Running job` line, Unix ms): a log opened more than a few seconds before it is another job's. */
  readonly notBeforeMs: number;
  /** Names of logs already taken by earlier jobs (the follower adds the ones it reads). */
  readonly taken: Set<string>;
  /** Called with each complete line, in order. */
  readonly onLine: (line: string) => void;
  /** Whether to stop reading early (the reader has what it needs, or gave up on the format). */
  readonly enough?: () => boolean;
  readonly pollMs?: number;
  /** Longest line kept; longer ones are skipped whole. */
  readonly maxLineBytes?: number;
  /** Most bytes read from the logs of one job; the rest is left unread. */
  readonly maxBytes?: number;
}

export interface Follower {
  /** Reads what is left (bounded) and stops; resolves when it has. */
  finish(): Promise<void>;
  /** The file being read, if one was found. */
  readonly file: () => string | undefined;
}

const CHUNK = 64 * 1024;
/**
 * The runner starts a new page only once a page holds WORKER_LOGSIZE MiB, a whole number of at
 * least 1 (HostTraceListener): a newer log beside a smaller page is the next job's, not a page of this one.
 */
const MIN_ROTATED_PAGE_BYTES = 1024 * 1024;
/** Slack between the line the supervisor saw and the second the worker named its log by. */
const START_SLACK_MS = 3_000;

/**
 * Follows the worker log of the job in flight as it grows, with only asynchronous file calls (the
 * main thread never waits on the disk) and bounded memory: one 64 KiB buffer and one partial line.
 * It finds the newest Worker_*.log opened since the job began, reads it as it grows, moves on to
 * the next page when the runner rotates it (only from a full page: a log opened beside a smaller
 * one is the next job's, which can start a moment after this one ends), starts again when it is
 * truncated, and keeps what it has when it is deleted (an open file can still be read on Linux).
 * Errors end the reading quietly: the job's trace then has no steps, and nothing else changes.
 */
export function followWorkerLog(o: FollowOptions): Follower {
  const pollMs = o.pollMs ?? 250;
  const maxLine = o.maxLineBytes ?? 16 * 1024;
  const maxBytes = o.maxBytes ?? 64 * 1024 * 1024;
  // Allocated when a log is found: a job without one costs no buffer.
  let buffer: Buffer | undefined;
  let partial: Buffer[] = [];
  let partialBytes = 0;
  let skipping = false;
  let current: { name: string; handle: FileHandle; offset: number } | undefined;
  let total = 0;
  let finishing = false;
  let stopped = false;

  const emit = (chunk: Buffer): void => {
    let from = 0;
    for (let nl = chunk.indexOf(10, from); nl !== -1; nl = chunk.indexOf(10, from)) {
      const piece = chunk.subarray(from, nl);
      from = nl + 1;
      if (skipping || partialBytes + piece.length > maxLine) {
        skipping = false;
        partial = [];
        partialBytes = 0;
        continue;
      }
      const line = partialBytes === 0 ? piece : Buffer.concat([...partial, piece]);
      partial = [];
      partialBytes = 0;
      o.onLine(line.toString("utf8").replace(/\r$/, ""));
    }
    const rest = chunk.subarray(from);
    if (rest.length === 0 || skipping) return;
    if (partialBytes + rest.length > maxLine) {
      skipping = true;
      partial = [];
      partialBytes = 0;
      return;
    }
    partial.push(Buffer.from(rest));
    partialBytes += rest.length;
  };

  /** Reads the current file to its end (or the byte budget); returns whether anything was read. */
  const drain = async (): Promise<boolean> => {
    if (!current) return false;
    const size = (await current.handle.stat()).size;
    if (size < current.offset) {
      // Truncated in place: read it again from the start.
      current.offset = 0;
      partial = [];
      partialBytes = 0;
    }
    let read = false;
    buffer ??= Buffer.allocUnsafe(CHUNK);
    while (total < maxBytes && !(o.enough?.() ?? false)) {
      const { bytesRead } = await current.handle.read(buffer, 0, Math.min(CHUNK, maxBytes - total), current.offset);
      if (bytesRead === 0) break;
      read = true;
      current.offset += bytesRead;
      total += bytesRead;
      emit(buffer.subarray(0, bytesRead));
    }
    return read;
  };

  /** The oldest log not yet taken that was opened after `afterName` (or since the job began). */
  const nextLog = async (afterName: string | undefined): Promise<string | undefined> => {
    const names = (await readdir(o.diagDir).catch(() => [] as string[])).filter((n) => WORKER_LOG.test(n) && !o.taken.has(n)).sort();
    return names.find((n) => (afterName === undefined ? openedAtMs(n) >= o.notBeforeMs - START_SLACK_MS : n > afterName));
  };

  const switchTo = async (name: string): Promise<void> => {
    const handle = await open(join(o.diagDir, name), "r");
    await current?.handle.close().catch(() => undefined);
    o.taken.add(name);
    // Only recent names matter (a job's own pages, the job before it): the set stays small.
    for (const old of o.taken) if (o.taken.size > 64) o.taken.delete(old);
    current = { name, handle, offset: 0 };
    // A new page starts with a new line: a partial line of the old one is not continued.
    partial = [];
    partialBytes = 0;
    skipping = false;
  };

  const step = async (): Promise<void> => {
    if (!current) {
      const first = await nextLog(undefined);
      if (first) await switchTo(first);
    }
    const grew = await drain();
    if (!grew && current && current.offset >= MIN_ROTATED_PAGE_BYTES) {
      // Rotated to a new page: finish the old one, then follow the new.
      const next = await nextLog(current.name);
      if (
        next &&
        (await stat(join(o.diagDir, next)).then(
          () => true,
          () => false,
        ))
      ) {
        await drain();
        await switchTo(next);
        await drain();
      }
    }
  };

  const loop = (async () => {
    try {
      // finishing and stopped are set by finish() and stop() while this loop awaits.
      /* eslint-disable @typescript-eslint/no-unnecessary-condition */
      while (!finishing && !stopped && total < maxBytes && !(o.enough?.() ?? false)) {
        await step();
        if (!finishing) await sleep(pollMs);
      }
      // The job has ended: what the worker wrote last (its last results) is read once more.
      if (!stopped) await step();
      /* eslint-enable @typescript-eslint/no-unnecessary-condition */
    } catch {
      // A log that cannot be read gives no steps; the job's trace goes on without them.
    } finally {
      stopped = true;
      await current?.handle.close().catch(() => undefined);
    }
  })();

  return {
    finish: async () => {
      finishing = true;
      await loop;
    },
    file: () => current?.name,
  };
}

/** The UTC second a worker log's name says it was opened, in Unix ms. */
export function openedAtMs(name: string): number {
  const m = WORKER_LOG.exec(name);
  if (!m) return Number.NaN;
  return Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +m[6]!);
}
