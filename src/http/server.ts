import { monotonicMs } from "../common/clock.js";
import { createServer as createHttpServer, type IncomingMessage, type ServerResponse } from "node:http";
import { createServer as createListener, type AddressInfo } from "node:net";
import { Connection } from "./connection.js";
import { ConnectionPool } from "./connection-pool.js";
import type { EndpointGuard } from "./guard.js";
import { route, type RouteSources } from "./routes.js";
import { send } from "./send.js";
import { describeError } from "../common/log.js";

export type { Health } from "./routes.js";

export interface EndpointOptions extends RouteSources {
  readonly host: string;
  readonly port: number;
  readonly onError: (message: string) => void;
  /** What protects the endpoint (TLS, basic auth), when a web configuration file is given. */
  readonly guard?: EndpointGuard | undefined;
}

/** The running endpoint. */
export interface Endpoint {
  readonly address: AddressInfo;
  /** Stops listening and closes every connection. */
  close(): Promise<void>;
}

// Bounds against slow or abusive clients: a scrape is a few hundred bytes in and one answer out.
const LIMITS = {
  maxConnections: 256,
  headTimeoutMs: 5_000,
  answerDeadlineMs: 10_000,
  stalledAnswerMs: 1_000,
  // Longer than any scrape interval, so Prometheus keeps its connection; an idle one makes way when the pool is full.
  keepAliveTimeoutMs: 120_000,
  // Room for a burst of connections before the kernel drops SYNs (a dropped SYN costs the client a 1 s retry).
  backlog: 4096,
  maxHeaderSize: 8 * 1024,
  sweepIntervalMs: 1_000,
};

/** A TLS record of type handshake: how every ClientHello starts. Plain HTTP starts with a letter. */
const TLS_HANDSHAKE = 0x16;

const CLIENT_ERRORS: Readonly<Record<string, string>> = {
  HPE_HEADER_OVERFLOW: "431 Request Header Fields Too Large",
};

/**
 * Starts the endpoint; resolves when it listens, rejects when the port cannot be bound.
 * A net.Server accepts connections into a pool that makes room for a scraper by closing the least
 * useful connection; a connection's first byte says whether it goes to the guard's TLS first; then
 * node:http reads it (emit("connection")), one request at a time. node:http enforces its
 * headersTimeout and requestTimeout only on a server that listens itself, and its keep-alive
 * timer only on a net.Socket, so the pool's sweep times out slow heads, unread answers and idle
 * connections.
 */
export function startEndpoint(o: EndpointOptions): Promise<Endpoint> {
  const now = monotonicMs;
  const connections = new WeakMap<object, Connection>();
  const http = createHttpServer(
    {
      // For the Keep-Alive header it sends: the pool closes idle connections (node:http's timer needs a net.Socket).
      keepAliveTimeout: LIMITS.keepAliveTimeoutMs,
      maxHeaderSize: LIMITS.maxHeaderSize,
      noDelay: true,
    },
    (req, res) => {
      const connection = connections.get(req.socket);
      if (!connection) return res.destroy();
      connection.requestStarted();
      res.once("close", () => connection.answered());
      answer(req, res, connection, o).catch((error: unknown) => {
        o.onError(`metrics request failed: ${describeError(error)}`);
        if (!res.headersSent) send(res, 500, "text/plain; charset=utf-8", "internal error\n", { Connection: "close" });
        else res.destroy();
      });
    },
  );
  // A malformed or too slow request gets its error status (or the socket closes); it never reaches the process.
  http.on("clientError", (error: NodeJS.ErrnoException, socket) => {
    const status = CLIENT_ERRORS[error.code ?? ""] ?? "400 Bad Request";
    if (socket.writable) socket.end(`HTTP/1.1 ${status}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
    else socket.destroy();
  });

  const pool = new ConnectionPool(LIMITS, now);
  const listener = createListener({ noDelay: true }, (socket) => {
    socket.on("error", () => undefined);
    const connection = new Connection(socket, now);
    if (!pool.admit(connection)) return;
    // Nothing reads a connection before its first bytes: one that sends none costs no parser.
    socket.once("data", (first: Buffer) => {
      socket.pause();
      socket.unshift(first);
      const read = (source: typeof socket, encrypted: boolean) => {
        const stream = connection.readBy(source, encrypted);
        connections.set(stream, connection);
        stream.on("error", () => undefined);
        http.emit("connection", stream);
      };
      if (first[0] === TLS_HANDSHAKE && o.guard?.tls) {
        connection.stage = "handshake";
        o.guard.tls.accept(socket, connection, (secure) => read(secure, true));
      } else read(socket, false);
    });
  });
  const sweeper = setInterval(() => pool.sweep(), LIMITS.sweepIntervalMs).unref();

  return new Promise((resolve, reject) => {
    listener.once("error", (error) => {
      clearInterval(sweeper);
      reject(error);
    });
    const onListening = () => {
      listener.removeAllListeners("error");
      listener.on("error", (error) => o.onError(`metrics endpoint error: ${error.message}`));
      resolve({
        address: listener.address() as AddressInfo,
        close: () =>
          new Promise<void>((done) => {
            clearInterval(sweeper);
            pool.closeAll();
            http.close();
            listener.close(() => done());
          }),
      });
    };
    listener.listen({ port: o.port, ...(o.host === "" ? {} : { host: o.host }), backlog: LIMITS.backlog }, onListening);
  });
}

/** Routes a request the guard (if any) lets through; a request it holds back it has answered itself. */
async function answer(req: IncomingMessage, res: ServerResponse, connection: Connection, o: EndpointOptions): Promise<void> {
  if (o.guard) {
    const admitted = o.guard.admit(req, res, connection);
    if (!(typeof admitted === "boolean" ? admitted : await admitted)) return;
  }
  await route(req, res, o);
}
