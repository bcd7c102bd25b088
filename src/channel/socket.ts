import { chmodSync } from "node:fs";
import { createServer, type Server, type Socket } from "node:net";
import { join } from "node:path";
import { decodeMessage, MAX_MESSAGE_BYTES, type ChannelMessage } from "../messages/message.js";

/** Connections served at once; hooks and reports are one short message each. */
const MAX_CONNECTIONS = 32;
/** A connection that has not sent its message by then is dropped. */
const IDLE_MS = 2000;

export interface Channel {
  readonly socketPath: string;
  close(): Promise<void>;
}

/**
 * The local channel: a Unix domain socket inside a directory only the runner's user can enter
 * (mode 0700). One JSON line per connection, answered "ok" or "rejected"; anything longer than
 * MAX_MESSAGE_BYTES, slower than IDLE_MS or not understood is dropped.
 */
export function openChannel(dir: string, onMessage: (message: ChannelMessage) => void, onRejected: () => void): Promise<Channel> {
  const socketPath = join(dir, "channel.sock");
  const server = createServer({ allowHalfOpen: false }, (socket) => serve(socket, onMessage, onRejected));
  server.maxConnections = MAX_CONNECTIONS;
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(socketPath, () => {
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

function serve(socket: Socket, onMessage: (message: ChannelMessage) => void, onRejected: () => void): void {
  let received = 0;
  const chunks: Buffer[] = [];
  let done = false;
  socket.setTimeout(IDLE_MS, () => socket.destroy());
  socket.on("error", () => undefined);
  const finish = (ok: boolean) => {
    if (done) return;
    done = true;
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
