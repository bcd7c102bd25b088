import type { IncomingMessage, ServerResponse } from "node:http";
import type { ConnectionFacts } from "../guard.js";
import { send } from "../send.js";
import type { BasicAuth } from "./basic-auth.js";
import type { TokenBucket } from "./budgets.js";

const TEXT = "text/plain; charset=utf-8";

/** What a request is judged by: the current file's settings. */
export interface Policy {
  readonly tls: boolean;
  readonly headers: ReadonlyMap<string, string>;
  readonly rateLimit: TokenBucket | undefined;
  /** undefined: no basic_auth_users. */
  readonly auth: BasicAuth | undefined;
}

/**
 * Whether a request may go on to its route; otherwise it is answered here. The one exception to
 * the file: a plain-HTTP GET /health from the loopback is answered without TLS or credentials,
 * so the image's HEALTHCHECK (bash's /dev/tcp, plain HTTP) keeps working. Everything else needs
 * TLS when the file turns it on (plain HTTP gets 400 and the connection closes), then passes
 * rate_limit (429) and basic auth (401; 429 when the password-check budget is spent).
 */
export function admit(policy: Policy, req: IncomingMessage, res: ServerResponse, connection: ConnectionFacts): boolean | Promise<boolean> {
  for (const [name, value] of policy.headers) res.setHeader(name, value);
  if (!connection.encrypted && isLoopback(connection.remoteAddress) && (req.url ?? "").split("?", 1)[0] === "/health") return true;
  if (policy.tls && !connection.encrypted) {
    send(
      res,
      400,
      TEXT,
      "this endpoint serves HTTPS only: use https:// (plain HTTP is answered only for GET /health from the loopback)\n",
      { Connection: "close" },
    );
    return false;
  }
  if (policy.rateLimit && !policy.rateLimit.take()) {
    send(res, 429, TEXT, "too many requests (rate_limit)\n", { "Retry-After": "1" });
    return false;
  }
  if (!policy.auth) return true;
  return policy.auth.verify(req.headers.authorization, connection).then((result) => {
    if (result === "ok") {
      connection.prove();
      return true;
    }
    if (result === "denied") send(res, 401, TEXT, "unauthorized\n", { "WWW-Authenticate": "Basic" });
    else if (result === "busy") send(res, 429, TEXT, "too many password checks; try again in a second\n", { "Retry-After": "1" });
    else send(res, 503, TEXT, "credentials cannot be checked right now\n", { "Retry-After": "1" });
    return false;
  });
}

/** Whether a peer address is this machine's (or this container's) loopback: 127.0.0.0/8, ::1, or 127.x as an IPv4-mapped IPv6 address. */
export function isLoopback(address: string): boolean {
  if (address === "::1") return true;
  const v4 = address.toLowerCase().startsWith("::ffff:") ? address.slice(7) : address;
  return /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(v4);
}
