import { fstatSync, write, writev } from "node:fs";
import { Socket } from "node:net";
import { Writable } from "node:stream";

// A non-blocking descriptor (inherited O_NONBLOCK) answers EAGAIN when full: wait briefly and retry.
const RETRY_MS = 2;

function writeAll(fd: number, chunk: Buffer, offset: number, done: (error?: Error | null) => void): void {
  write(fd, chunk, offset, chunk.length - offset, null, (error, written) => {
    if (error) {
      if (error.code === "EAGAIN") setTimeout(writeAll, RETRY_MS, fd, chunk, offset, done);
      else done(error);
      return;
    }
    const next = offset + written;
    if (next < chunk.length) writeAll(fd, chunk, next, done);
    else done();
  });
}

function writevAll(fd: number, chunks: Buffer[], done: (error?: Error | null) => void): void {
  writev(fd, chunks, null, (error, written) => {
    if (error) {
      if (error.code === "EAGAIN") setTimeout(writevAll, RETRY_MS, fd, chunks, done);
      else done(error);
      return;
    }
    // A partial write: carry on with whatever the kernel did not take.
    let rest = written;
    let i = 0;
    while (i < chunks.length && rest >= chunks[i]!.length) rest -= chunks[i++]!.length;
    if (i === chunks.length) return done();
    const remaining = [chunks[i]!.subarray(rest), ...chunks.slice(i + 1)];
    writevAll(fd, remaining, done);
  });
}

/**
 * A Writable over a file descriptor (1 or 2) that never blocks the event loop, with
 * backpressure: a slow reader of our output pauses the child's pipe instead of stalling signal
 * handling and scrapes, as process.stdout's synchronous pipe writes would.
 * Pipes and sockets (what a container's log driver gives) are written through libuv's
 * non-blocking stream writes, about twice as fast as thread-pool writes; files and terminals
 * through fs writes in the thread pool.
 */
export function fdSink(fd: number): Writable {
  const sink = isPipeOrSocket(fd) ? new Socket({ fd, readable: false, writable: true }) : fsWriter(fd);
  // A closed output is reported by whoever copies into it; it never becomes an uncaught error.
  sink.on("error", () => undefined);
  return sink;
}

function fsWriter(fd: number): Writable {
  return new Writable({
    // Room for several pipe reads while a write is in flight, so reading and writing overlap.
    highWaterMark: 1024 * 1024,
    write(chunk: Buffer, _encoding, callback) {
      writeAll(fd, chunk, 0, callback);
    },
    // Chunks queued during a write go out together in one system call.
    writev(chunks, callback) {
      writevAll(
        fd,
        chunks.map((c) => c.chunk as Buffer),
        callback,
      );
    },
  });
}

function isPipeOrSocket(fd: number): boolean {
  try {
    const stat = fstatSync(fd);
    return stat.isFIFO() || stat.isSocket();
  } catch {
    return false;
  }
}
