import type { IncomingMessage, ServerResponse } from "node:http";
import type { Exposition, Format } from "../metrics/render.js";
import { negotiateFormat } from "./negotiate.js";
import { send } from "./send.js";

/** What /health reports: healthy while the runner child runs, otherwise why not. */
export interface Health {
  readonly healthy: boolean;
  readonly reason: string;
}

/** What the routes read: the metrics and the health, nothing else. */
export interface RouteSources {
  /** Renders the metrics in a format (reused renderings, one at a time). */
  readonly render: (format: Format) => Promise<Exposition>;
  readonly health: () => Health;
}

const TEXT = "text/plain; charset=utf-8";
const LANDING = Buffer.from(`<!doctype html>
<html><head><meta charset="utf-8"><title>runner-supervisor</title></head>
<body><h1>runner-supervisor</h1>
<p>Prometheus metrics of a self-hosted GitHub Actions runner.</p>
<ul><li><a href="metrics">/metrics</a></li><li><a href="health">/health</a></li></ul>
</body></html>
`);

type Route = (req: IncomingMessage, res: ServerResponse, sources: RouteSources) => Promise<void> | void;

const ROUTES: Readonly<Record<string, Route>> = {
  "/metrics": async (req, res, sources) => {
    const { contentType, body } = await sources.render(negotiateFormat(req.headers.accept));
    send(res, 200, contentType, body);
  },
  "/health": (_req, res, sources) => {
    const health = sources.health();
    send(res, health.healthy ? 200 : 503, TEXT, health.healthy ? "OK" : `${health.reason}\n`);
  },
  "/": (_req, res) => send(res, 200, "text/html; charset=utf-8", LANDING),
};

/**
 * Answers one request. Only HTTP/1.x GET and HEAD without a body are served: anything else is
 * answered with its error and, where the rest of the connection cannot be trusted, closed.
 */
export async function route(req: IncomingMessage, res: ServerResponse, sources: RouteSources): Promise<void> {
  if (req.httpVersionMajor !== 1) return send(res, 505, TEXT, "HTTP/1.0 or HTTP/1.1 only\n", { Connection: "close" });
  const path = (req.url ?? "/").split("?", 1)[0]!;
  const handler = Object.hasOwn(ROUTES, path) ? ROUTES[path] : undefined;
  if (!handler) return send(res, 404, TEXT, "not found\n");
  if (req.method !== "GET" && req.method !== "HEAD") {
    return send(res, 405, TEXT, "method not allowed\n", { Allow: "GET, HEAD", Connection: "close" });
  }
  // A request body is never expected; with one, where the next request starts is the client's word only.
  if (req.headers["content-length"] !== undefined && req.headers["content-length"] !== "0")
    return send(res, 400, TEXT, "no request body expected\n", { Connection: "close" });
  if (req.headers["transfer-encoding"] !== undefined) return send(res, 400, TEXT, "no request body expected\n", { Connection: "close" });
  await handler(req, res, sources);
}
