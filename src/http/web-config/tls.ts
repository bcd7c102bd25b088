import { createServer, type Server, type TLSSocket, type TlsOptions } from "node:tls";
import type { ConnectionFacts, TlsHandshakes } from "../guard.js";
import { isIPv4, type Socket } from "node:net";
import { NetworkBudget, type BudgetLimits } from "./budgets.js";
import type { TlsSettings } from "./config.js";

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

/**
 * The subject alternative names of a client certificate as the exporter toolkit compares them
 * with client_allowed_sans: DNS names, e-mail addresses, IP addresses written as Go writes them
 * (::1, 2001:db8::1, 127.0.0.1) and URIs. `subjectAltName` is Node's X509Certificate text:
 * "DNS:a, IP Address:127.0.0.1, URI:\"x,y\"", a value with special characters quoted as JSON.
 */
export function sanValues(subjectAltName: string | undefined): string[] {
  const values: string[] = [];
  let rest = subjectAltName ?? "";
  while (rest !== "") {
    const colon = rest.indexOf(":");
    if (colon === -1) break;
    const type = rest.slice(0, colon);
    rest = rest.slice(colon + 1);
    let value: string;
    if (rest.startsWith('"')) {
      const end = closingQuote(rest);
      value = JSON.parse(rest.slice(0, end + 1)) as string;
      rest = rest.slice(end + 1);
    } else {
      const comma = rest.indexOf(", ");
      value = comma === -1 ? rest : rest.slice(0, comma);
      rest = comma === -1 ? "" : rest.slice(comma);
    }
    rest = rest.startsWith(", ") ? rest.slice(2) : "";
    if (type === "DNS" || type === "email" || type === "URI") values.push(value);
    else if (type === "IP Address") values.push(goIpText(value));
  }
  return values;
}

function closingQuote(text: string): number {
  for (let i = 1; i < text.length; i++) {
    if (text[i] === "\\") i++;
    else if (text[i] === '"') return i;
  }
  return text.length - 1;
}

/** An IP address as Go's net.IP.String() writes it: dotted IPv4 (also for IPv4-mapped IPv6), RFC 5952 IPv6. */
export function goIpText(text: string): string {
  if (isIPv4(text)) return text;
  const groups = ipv6Groups(text);
  if (!groups) return text;
  if (groups.slice(0, 5).every((g) => g === 0) && groups[5] === 0xffff) {
    return [groups[6]! >> 8, groups[6]! & 0xff, groups[7]! >> 8, groups[7]! & 0xff].join(".");
  }
  // The longest run of zero groups (the first of equal ones), if at least two long, becomes "::".
  let best = { start: -1, length: 0 };
  for (let i = 0; i < 8;) {
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > best.length) best = { start: i, length: j - i };
    i = j === i ? i + 1 : j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (best.length < 2) return hex.join(":");
  return `${hex.slice(0, best.start).join(":")}::${hex.slice(best.start + best.length).join(":")}`;
}

/** The eight 16-bit groups of an IPv6 address in any notation (with "::" or a dotted tail), or undefined. */
function ipv6Groups(text: string): number[] | undefined {
  let body = text;
  const tail: number[] = [];
  const dotted = /(\d+\.\d+\.\d+\.\d+)$/.exec(body);
  if (dotted) {
    if (!isIPv4(dotted[1]!)) return undefined;
    const b = dotted[1]!.split(".").map(Number);
    tail.push((b[0]! << 8) | b[1]!, (b[2]! << 8) | b[3]!);
    body = body.slice(0, dotted.index);
    if (!body.endsWith("::")) {
      if (!body.endsWith(":")) return undefined;
      body = body.slice(0, -1);
    }
  }
  const halves = body.split("::");
  if (halves.length > 2) return undefined;
  const parse = (part: string) => (part === "" ? [] : part.split(":").map((g) => (/^[0-9a-fA-F]{1,4}$/.test(g) ? parseInt(g, 16) : NaN)));
  const head = parse(halves[0]!);
  const back = halves.length === 2 ? parse(halves[1]!) : [];
  const missing = 8 - tail.length - head.length - back.length;
  if (halves.length === 1 ? missing !== 0 : missing < 1) return undefined;
  const groups = [...head, ...Array<number>(halves.length === 2 ? missing : 0).fill(0), ...back, ...tail];
  return groups.length === 8 && groups.every((g) => Number.isInteger(g)) ? groups : undefined;
}
