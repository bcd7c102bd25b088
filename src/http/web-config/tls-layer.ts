import type { Socket } from "node:net";
import { createServer, type Server, type TLSSocket, type TlsOptions } from "node:tls";
import type { ConnectionFacts, TlsHandshakes } from "../guard.js";
import { sanValues } from "./client-sans.js";
import { NetworkBudget, type BudgetLimits } from "./token-bucket.js";
import type { TlsSettings } from "./web-config.js";

/**
 * New TLS handshakes a second: each costs a private-key operation on the main thread (about
 * 1-2 ms for RSA 2048), so a flood of half-open handshakes could otherwise take a whole core from
 * the runner's output. Prometheus keeps its connection open and needs one now and then; a quarter
 * of the whole is kept for networks whose handshakes complete.
 */
export const HANDSHAKES: BudgetLimits = { perSecond: 64, burst: 128, perNetworkPerSecond: 16, perNetworkBurst: 32, reserve: 32 };
/** A handshake not done by then is given up (the pool's head timeout would close it too). */
const HANDSHAKE_TIMEOUT_MS = 5_000;

/** TLS for the endpoint: handshakes, and what the client's certificate must show. */
export interface TlsLayer extends TlsHandshakes {
  /** New connections use these settings from now on (a reloaded file); connections already open keep theirs. */
  use(options: TlsOptions, settings: TlsSettings): void;
}

/**
 * A tls.Server that never listens does the handshake of each connection handed to it
 * (emit("connection")), with Node's own client-certificate verification; the connection goes on
 * to HTTP once the handshake is done and the certificate passes what client_auth_type and
 * client_allowed_sans ask. A verified client certificate proves the connection's client.
 */
export function createTlsLayer(options: TlsOptions, settings: TlsSettings, now: () => number): TlsLayer {
  const budget = new NetworkBudget(HANDSHAKES, now);
  let current = handshaker(options, settings);
  return {
    accept: (socket: Socket, connection: ConnectionFacts, secured: (tls: TLSSocket) => void) => {
      if (!budget.take(connection.network)) {
        socket.destroy();
        return;
      }
      const { server, settings: asked } = current;
      let done = false;
      const settle = (ok: boolean) => {
        if (done) return;
        done = true;
        budget.settle(connection.network, ok);
      };
      socket.once("close", () => settle(false));
      const onSecure = (tls: TLSSocket) => {
        // Each handshaker serves many connections at once: this one is the TLS socket over `socket`.
        if (tls.remotePort !== socket.remotePort || tls.remoteAddress !== socket.remoteAddress) return;
        server.off("secureConnection", onSecure);
        settle(true);
        if (!clientAccepted(tls, asked)) {
          tls.destroy();
          return;
        }
        if (tls.authorized && tls.getPeerX509Certificate()) connection.prove();
        secured(tls);
      };
      server.on("secureConnection", onSecure);
      socket.once("close", () => server.off("secureConnection", onSecure));
      server.emit("connection", socket);
    },
    use: (nextOptions, nextSettings) => {
      current = handshaker(nextOptions, nextSettings);
    },
  };
}

function handshaker(options: TlsOptions, settings: TlsSettings): { server: Server; settings: TlsSettings } {
  const server = createServer({ ...options, handshakeTimeout: HANDSHAKE_TIMEOUT_MS });
  server.setMaxListeners(0);
  // A failed handshake closes its socket, and with it the connection: nothing to report per client.
  server.on("tlsClientError", () => undefined);
  return { server, settings };
}

/**
 * What client_auth_type and client_allowed_sans ask of the client's certificate, as Go's crypto/tls
 * and the toolkit check it. Node has verified the chain against the client CAs (authorized); a
 * client that fails is closed before any request is read.
 */
function clientAccepted(socket: TLSSocket, settings: TlsSettings): boolean {
  const certificate = socket.getPeerX509Certificate();
  switch (settings.clientAuthType) {
    case "RequireAnyClientCert":
      if (!certificate) return false;
      break;
    case "VerifyClientCertIfGiven":
      if (certificate && !socket.authorized) return false;
      break;
    case "RequireAndVerifyClientCert":
      if (!certificate || !socket.authorized) return false;
      break;
    default:
  }
  const allowed = settings.clientAllowedSans;
  if (allowed === undefined) return true;
  return sanValues(certificate?.subjectAltName).some((value) => allowed.includes(value));
}
