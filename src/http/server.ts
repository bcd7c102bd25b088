import { monotonicMs } from "../common/clock.js";
import { createServer as createHttpParser, type IncomingMessage, type ServerResponse } from "node:http";
import { createServer as createListener, type AddressInfo } from "node:net";
import { ConnectionPool } from "./connection-pool.js";
import type { EndpointGuard } from "./guard.js";
import { RequestGate } from "./request-gate.js";
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

const CLIENT_ERRORS: Readonly<Record<string, string>> = {
  HPE_HEADER_OVERFLOW: "431 Request Header Fields Too Large",
};

/**
 * Starts the endpoint; resolves when it listens, rejects when the port cannot be bound.
 * Connections are accepted here, kept in a pool that makes room for a scraper by closing the
 * least useful connection, and handed to node:http's parser one request at a time.
 */
export function startEndpoint(o: EndpointOptions): Promise<Endpoint> {
  const now = monotonicMs;
  const parser = createHttpParser({ keepAliveTimeout: LIMITS.keepAliveTimeoutMs, maxHeaderSize: LIMITS.maxHeaderSize }, (req, res) => {
    const gate = req.socket as unknown as RequestGate;
    gate.requestStarted();
    res.once("close", () => gate.answered());
    answer(req, res, gate, o).catch((error: unknown) => {
      o.onError(`metrics request failed: ${describeError(error)}`);
      if (!res.headersSent) send(res, 500, "text/plain; charset=utf-8", "internal error\n", { Connection: "close" });
      else res.destroy();
    });
  });
  // A malformed request gets its error status (or the socket closes); it never reaches the process.
  parser.on("clientError", (error: NodeJS.ErrnoException, socket) => {
    const status = CLIENT_ERRORS[error.code ?? ""] ?? "400 Bad Request";
    if (socket.writable) socket.end(`HTTP/1.1 ${status}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
    else socket.destroy();
  });

  const pool = new ConnectionPool(LIMITS, now);
  const listener = createListener((socket) => {
    socket.on("error", () => undefined);
    const gate = new RequestGate(socket, now, (g) => parser.emit("connection", g), o.guard?.firstBytes);
    gate.on("error", () => undefined);
    pool.admit(gate);
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
            listener.close(() => done());
          }),
      });
    };
    listener.listen({ port: o.port, ...(o.host === "" ? {} : { host: o.host }), backlog: LIMITS.backlog }, onListening);
  });
}

/** Routes a request the guard (if any) lets through; a request it holds back it has answered itself. */
async function answer(req: IncomingMessage, res: ServerResponse, gate: RequestGate, o: EndpointOptions): Promise<void> {
  if (o.guard) {
    const admitted = o.guard.admit(req, res, gate);
    if (!(typeof admitted === "boolean" ? admitted : await admitted)) return;
  }
  await route(req, res, o);
}
