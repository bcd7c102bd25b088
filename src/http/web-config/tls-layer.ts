import { createServer, type Server, type TLSSocket, type TlsOptions } from "node:tls";
import type { FirstBytes, RequestGate } from "../request-gate.js";
import { sanValues } from "./client-sans.js";
import { AddressBudget, type BudgetLimits } from "./token-bucket.js";
import type { TlsSettings } from "./web-config.js";

/** A TLS record of type handshake: how every ClientHello starts. Plain HTTP starts with a letter. */
const TLS_HANDSHAKE = 0x16;

/**
 * New TLS handshakes a second: each costs a private-key operation on the main thread (about
 * 1-2 ms for RSA 2048), so a flood of half-open handshakes could otherwise take a whole core from
 * the runner's output. Prometheus keeps its connection open and needs one now and then.
 */
export const HANDSHAKES: BudgetLimits = { perSecond: 64, burst: 128, perAddressPerSecond: 16, perAddressBurst: 32 };

/** The TLS layer under the endpoint's request gates. */
export interface TlsLayer {
  /** For the gates: a ClientHello hands the connection to TLS; anything else stays plain. */
  readonly firstBytes: FirstBytes;
  /** New connections use these settings from now on (a reloaded file); connections already open keep theirs. */
  use(options: TlsOptions, settings: TlsSettings): void;
}

/**
 * TLS between the accepted socket and the request gate. A tls.Server that never listens does the
 * handshake of each connection handed to it (and Node's own client-certificate verification);
 * the gate reads the decrypted socket once the handshake is done and the client certificate
 * passes what client_auth_type and client_allowed_sans ask. Until then the gate keeps the
 * connection in the pool, so a handshake that never finishes is timed out like a silent client.
 */
export function createTlsLayer(options: TlsOptions, settings: TlsSettings, now: () => number): TlsLayer {
  const budget = new AddressBudget(HANDSHAKES, now);
  const waiting = new Map<string, RequestGate>();
  const keyOf = (address: string | undefined, port: number | undefined) => `${address}|${port}`;
  let server = handshaker(options, settings, waiting, keyOf);

  const firstBytes: FirstBytes = (gate, first) => {
    if (first[0] !== TLS_HANDSHAKE) return false;
    if (!budget.take(gate.remoteAddress)) {
      gate.destroy();
      return true;
    }
    const key = keyOf(gate.remoteAddress, gate.remotePort);
    waiting.set(key, gate);
    gate.once("close", () => {
      if (waiting.get(key) === gate) waiting.delete(key);
    });
    const socket = gate.handOver();
    // TLS reads what is buffered on the socket first: the ClientHello goes back there.
    socket.unshift(first);
    server.emit("connection", socket);
    return true;
  };
  return {
    firstBytes,
    use: (nextOptions, nextSettings) => {
      server = handshaker(nextOptions, nextSettings, waiting, keyOf);
    },
  };
}

function handshaker(options: TlsOptions, settings: TlsSettings, waiting: Map<string, RequestGate>, keyOf: (address: string | undefined, port: number | undefined) => string): Server {
  const server = createServer(options);
  server.on("secureConnection", (socket: TLSSocket) => {
    const key = keyOf(socket.remoteAddress, socket.remotePort);
    const gate = waiting.get(key);
    waiting.delete(key);
    if (!gate) socket.destroy();
    else if (!clientAccepted(socket, settings)) gate.destroy();
    else gate.adopt(socket, true);
  });
  // A failed handshake closes its socket, and with it the gate: nothing to report per client.
  server.on("tlsClientError", () => undefined);
  return server;
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
