import type { IncomingMessage, ServerResponse } from "node:http";
import type { FirstBytes } from "./request-gate.js";

/** What a request's connection is, as the guard judges it. */
export interface ConnectionFacts {
  /** Whether the connection is read through TLS. */
  readonly encrypted: boolean;
  readonly remoteAddress: string;
}

/**
 * What protects the endpoint (a web configuration file: TLS, basic auth, headers, a rate limit).
 * The endpoint only calls it: how it decides is its own, loaded only when one is configured.
 */
export interface EndpointGuard {
  /** The URL scheme the endpoint serves. */
  readonly scheme: "http" | "https";
  /** A few words for the start-up line, e.g. "TLS, basic auth for 2 users". */
  readonly summary: string;
  /** Looks at a connection's first bytes: a TLS handshake is taken over, and the gate later reads the decrypted socket. */
  readonly firstBytes?: FirstBytes;
  /**
   * Whether a request may go on to its route; when not, the guard has answered it (400, 401, 429).
   * It may set headers on `res` that every answer carries.
   */
  admit(req: IncomingMessage, res: ServerResponse, connection: ConnectionFacts): boolean | Promise<boolean>;
  /** Stops what the guard runs (its worker, its timers). */
  close(): void;
}
