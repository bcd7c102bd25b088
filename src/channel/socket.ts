import { chmodSync } from "node:fs";
import { createServer, type Server, type Socket } from "node:net";
import { join } from "node:path";
import { decodeMessage, MAX_MESSAGE_BYTES, type ChannelMessage } from "../messages/message.js";

/**
 * Connections held at once. A full pool makes room for each newcomer by closing the connection
 * that has given least: one already answered, else the oldest still to send its line. A hook or
 * a report writes its one line as soon as it connects, so a flood of idle or dribbling
 * connections (from a job, or something a job left running) pushes out only its own.
 */
const MAX_CONNECTIONS = 1024;
/**
 * Connections the kernel queues before they are accepted (Node's default, said here because it
 * must stay below MAX_CONNECTIONS: one burst, accepted at once, cannot push out a newcomer before
 * its line has been read). A smaller queue lost hang-ups before they were counted as rejected.
 */
const BACKLOG = 511;
/** A connection that has not sent its message by then is dropped. */
const IDLE_MS = 2000;

export interface Channel {
  readonly socketPath: string;
  close(): Promise<void>;
}

/**
 * The local channel: a Unix domain socket inside a directory only the runner's user can enter
 * (mode 0700). One JSON line per connection, answered "ok" or "rejected"; anything longer than
 * MAX_MESSAGE_BYTES, slower than IDLE_MS or not understood is dropped, and so is the connection
 * that has given least when the pool is full.
 */
export function openChannel(dir: string, onMessage: (message: ChannelMessage) => void, onRejected: () => void): Promise<Channel> {
  const socketPath = join(dir, "channel.sock");
  const pool = new ConnectionPool(MAX_CONNECTIONS);
  const server = createServer({ allowHalfOpen: false }, (socket) => {
    pool.admit(socket);
    serve(socket, pool, onMessage, onRejected);
  });
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen({ path: socketPath, backlog: BACKLOG }, () => {
      server.off("error", reject);
      server.on("error", () => undefined);
      try {
        chmodSync(socketPath, 0o600);
      } catch {
        // the directory's mode already keeps others out
      }
      // The channel never keeps the supervisor alive on its own.
      server.unref();
      resolve({ socketPath, close: () => closeServer(server) });
    });
  });
}

/**
 * The open connections, each set oldest first (a Set keeps insertion order): those answered (only
 * their closing is left), then those still to send their line. Room is made in that order, so
 * the connection closed is the one that has had the longest to send and has not: a newcomer,
 * whose line is usually already waiting to be read, is closed last.
 */
class ConnectionPool {
  private readonly answered = new Set<Socket>();
  private readonly waiting = new Set<Socket>();

  constructor(private readonly max: number) {}

  /** Takes a new connection in, closing the one that has given least when the pool is full. */
  admit(socket: Socket): void {
    if (this.answered.size + this.waiting.size >= this.max) {
      const [evicted] = this.answered.size > 0 ? this.answered : this.waiting;
      if (evicted) {
        this.leave(evicted);
        evicted.destroy();
      }
    }
    this.waiting.add(socket);
    socket.once("close", () => this.leave(socket));
  }

  /** The connection has had its answer. */
  served(socket: Socket): void {
    if (this.waiting.delete(socket)) this.answered.add(socket);
  }

  private leave(socket: Socket): void {
    this.answered.delete(socket);
    this.waiting.delete(socket);
  }
}

function serve(socket: Socket, pool: ConnectionPool, onMessage: (message: ChannelMessage) => void, onRejected: () => void): void {
  let received = 0;
  const chunks: Buffer[] = [];
  let done = false;
  socket.setTimeout(IDLE_MS, () => socket.destroy());
  socket.on("error", () => undefined);
  const finish = (ok: boolean) => {
    if (done) return;
    done = true;
    pool.served(socket);
    if (!ok) onRejected();
    socket.end(ok ? "ok\n" : "rejected\n");
  };
  socket.on("data", (chunk: Buffer) => {
    if (done) return;
    received += chunk.length;
    const newline = chunk.indexOf(10);
    if (received > MAX_MESSAGE_BYTES && (newline < 0 || received - chunk.length + newline > MAX_MESSAGE_BYTES)) {
      done = true;
      onRejected();
      socket.destroy();
      return;
    }
    chunks.push(newline < 0 ? chunk : chunk.subarray(0, newline));
    if (newline >= 0) finish(deliver(Buffer.concat(chunks).toString("utf8"), onMessage));
  });
  socket.on("end", () => {
    if (!done && received > 0) finish(deliver(Buffer.concat(chunks).toString("utf8"), onMessage));
    else if (!done) finish(false);
  });
}

function deliver(line: string, onMessage: (message: ChannelMessage) => void): boolean {
  let parsed: unknown;
  try {
    parsed = JSON.parse(line);
  } catch {
    return false;
  }
  const message = decodeMessage(parsed);
  if (!message) return false;
  onMessage(message);
  return true;
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => server.close(() => resolve()));
}
