import type { IncomingMessage, ServerResponse } from "node:http";
import type { Socket } from "node:net";
import type { TLSSocket } from "node:tls";

/** What a request's connection is, as the guard judges it. */
export interface ConnectionFacts {
  /** Whether the connection is read through TLS. */
  readonly encrypted: boolean;
  readonly remoteAddress: string;
  /** The client's network (/24, /56), by which budgets count clients. */
  readonly network: string;
  /** Whether the client has already proven who it is on this connection. */
  readonly proven: boolean;
  /** Says the client proved who it is (its connection is then kept over others when the pool is full). */
  prove(): void;
}

/** The TLS side of a guard: takes over connections that begin with a TLS handshake. */
export interface TlsHandshakes {
  /**
   * Does the handshake on `socket` (its first bytes are back on it, unread); calls `secured` with
   * the TLS socket once it is done and the client's certificate passes, or closes the connection.
   */
  accept(socket: Socket, connection: ConnectionFacts, secured: (tls: TLSSocket) => void): void;
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
  /** With TLS: what a connection whose first byte opens a TLS handshake is handed to. */
  readonly tls?: TlsHandshakes;
  /**
   * Whether a request may go on to its route; when not, the guard has answered it (400, 401, 429).
   * It may set headers on `res` that every answer carries.
   */
  admit(req: IncomingMessage, res: ServerResponse, connection: ConnectionFacts): boolean | Promise<boolean>;
  /** Stops what the guard runs (its worker, its timers). */
  close(): void;
}
