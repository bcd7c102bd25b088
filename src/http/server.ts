import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { Exposition, Format } from "../metrics/exposition.js";
import { negotiateFormat } from "./negotiate.js";

/** What /health reports: healthy while the runner child runs, otherwise why not. */
export interface Health {
  readonly healthy: boolean;
  readonly reason: string;
}

export interface EndpointOptions {
  readonly host: string;
  readonly port: number;
  /** Renders the metrics in a format (reused renderings, one at a time). */
  readonly render: (format: Format) => Promise<Exposition>;
  readonly health: () => Health;
  readonly onError: (message: string) => void;
}

// Bounds against slow or abusive clients: a scrape is small and quick.
const LIMITS = {
  headersTimeoutMs: 5_000,
  requestTimeoutMs: 10_000,
  keepAliveTimeoutMs: 5_000,
  maxConnections: 256,
  maxHeaderSize: 8 * 1024,
};

const CLIENT_ERRORS: Readonly<Record<string, string>> = {
  HPE_HEADER_OVERFLOW: "431 Request Header Fields Too Large",
  ERR_HTTP_REQUEST_TIMEOUT: "408 Request Timeout",
  HPE_HEADERS_TIMEOUT: "408 Request Timeout",
};

const LANDING = `<!doctype html>
<html><head><meta charset="utf-8"><title>runner-supervisor</title></head>
<body><h1>runner-supervisor</h1>
<p>Prometheus metrics of a self-hosted GitHub Actions runner.</p>
<ul><li><a href="metrics">/metrics</a></li><li><a href="health">/health</a></li></ul>
</body></html>
`;

type Render = (format: Format) => Promise<Exposition>;
type Route = (req: IncomingMessage, res: ServerResponse, o: EndpointOptions, render: Render) => Promise<void> | void;

const ROUTES: Readonly<Record<string, Route>> = {
  "/metrics": serveMetrics,
  "/health": (_req, res, o) => {
    const health = o.health();
    send(res, health.healthy ? 200 : 503, "text/plain; charset=utf-8", health.healthy ? "OK" : `${health.reason}\n`);
  },
  "/": (_req, res) => send(res, 200, "text/html; charset=utf-8", LANDING),
};

async function serveMetrics(req: IncomingMessage, res: ServerResponse, _o: EndpointOptions, render: Render): Promise<void> {
  const { contentType, body } = await render(negotiateFormat(req.headers.accept));
  send(res, 200, contentType, body);
}

function send(res: ServerResponse, status: number, contentType: string, body: string, extra: Record<string, string> = {}): void {
  const bytes = Buffer.from(body, "utf8");
  res.writeHead(status, { "Content-Type": contentType, "Content-Length": bytes.length, "Cache-Control": "no-store", ...extra });
  res.end(res.req.method === "HEAD" ? undefined : bytes);
}

async function handle(req: IncomingMessage, res: ServerResponse, o: EndpointOptions, render: Render): Promise<void> {
  const path = (req.url ?? "/").split("?", 1)[0]!;
  const route = Object.hasOwn(ROUTES, path) ? ROUTES[path] : undefined;
  if (!route) return send(res, 404, "text/plain; charset=utf-8", "not found\n");
  if (req.method !== "GET" && req.method !== "HEAD") {
    return send(res, 405, "text/plain; charset=utf-8", "method not allowed\n", { Allow: "GET, HEAD" });
  }
  await route(req, res, o, render);
}

/** Starts the endpoint; resolves with the bound address, rejects when the port cannot be bound. */
export function startEndpoint(o: EndpointOptions): Promise<{ server: Server; address: AddressInfo }> {
  const render = o.render;
  const server = createServer(
    {
      headersTimeout: LIMITS.headersTimeoutMs,
      requestTimeout: LIMITS.requestTimeoutMs,
      keepAliveTimeout: LIMITS.keepAliveTimeoutMs,
      maxHeaderSize: LIMITS.maxHeaderSize,
      // Node checks the two timeouts above only this often (30 s by default).
      connectionsCheckingInterval: 1_000,
    },
    (req, res) => {
      handle(req, res, o, render).catch((error: unknown) => {
        o.onError(`metrics request failed: ${error instanceof Error ? error.message : String(error)}`);
        if (!res.headersSent) send(res, 500, "text/plain; charset=utf-8", "internal error\n");
        else res.destroy();
      });
    },
  );
  server.maxConnections = LIMITS.maxConnections;
  // A malformed request gets a 400 (or the socket closes); it never reaches the process.
  server.on("clientError", (error: NodeJS.ErrnoException, socket) => {
    const status = CLIENT_ERRORS[error.code ?? ""] ?? "400 Bad Request";
    if (socket.writable) socket.end(`HTTP/1.1 ${status}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
    else socket.destroy();
  });
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    const onListening = () => {
      server.off("error", reject);
      server.on("error", (error) => o.onError(`metrics endpoint error: ${error.message}`));
      resolve({ server, address: server.address() as AddressInfo });
    };
    if (o.host === "") server.listen(o.port, onListening);
    else server.listen(o.port, o.host, onListening);
  });
}
