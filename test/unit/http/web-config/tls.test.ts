// The TLS layer on real loopback connections, handed over as the endpoint does, with real TLS clients:
// what each tls_server_config setting lets through and what it refuses.
import { readFileSync, writeFileSync } from "node:fs";
import { createServer, connect as connectPlain, type Server, type Socket } from "node:net";
import { join } from "node:path";
import { connect, type ConnectionOptions } from "node:tls";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { Connection } from "../../../../src/http/connection.js";
import { loadWebConfig } from "../../../../src/http/web-config/load.js";
import { createTlsLayer, HANDSHAKES, type TlsLayer } from "../../../../src/http/web-config/tls.js";
import { makeCertificates, PARSE_WORKER, removeTempDirs, tempDir, type TestCertificates } from "../../../helpers/index.js";

/** Reads a file as the endpoint does, through the built parse thread. */
const load = (path: string) => loadWebConfig(path, PARSE_WORKER);

let certs: TestCertificates;
beforeAll(() => {
  certs = makeCertificates(tempDir("tls-"));
});
afterAll(removeTempDirs);

const servers: Server[] = [];
afterEach(() => {
  for (const s of servers.splice(0)) s.close();
});

/** A TLS layer from a web configuration (tls_server_config lines after the server's pair). */
async function layerOf(lines: string, now: () => number = () => performance.now()): Promise<TlsLayer> {
  const path = join(certs.dir, `web-${Math.random().toString(36).slice(2)}.yml`);
  writeFileSync(path, `tls_server_config:\n  cert_file: server.pem\n  key_file: server.key\n${lines}`);
  const loaded = await load(path);
  return createTlsLayer(loaded.tls!, loaded.config.tls!, now);
}

/** Connections as the endpoint hands them over (a first byte 0x16 goes to the layer); each answers its first request head with 200. */
async function serve(layer: TlsLayer): Promise<{ port: number; connections: Connection[] }> {
  const connections: Connection[] = [];
  const server = createServer((socket) => {
    socket.on("error", () => undefined);
    const connection = new Connection(socket, () => performance.now());
    connections.push(connection);
    const answer = (s: Socket, encrypted: boolean) => {
      s.once("data", () =>
        s.end(`HTTP/1.1 200 OK\r\nContent-Length: ${encrypted ? 3 : 5}\r\nConnection: close\r\n\r\n${encrypted ? "tls" : "plain"}`),
      );
      s.resume();
    };
    socket.once("data", (first: Buffer) => {
      socket.pause();
      socket.unshift(first);
      if (first[0] !== 0x16) return answer(socket, false);
      connection.stage = "handshake";
      layer.accept(socket, connection, (tls) => answer(tls, true));
    });
  });
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return { port: (server.address() as { port: number }).port, connections };
}

type Client = "none" | "client" | "stranger";
/** A TLS request; resolves with the body, or "refused" when the connection ends without an answer. */
function request(port: number, client: Client = "none", extra: ConnectionOptions = {}): Promise<string> {
  const identity =
    client === "client"
      ? { cert: readFileSync(certs.clientCert), key: readFileSync(certs.clientKey) }
      : client === "stranger"
        ? { cert: readFileSync(certs.strangerCert), key: readFileSync(certs.strangerKey) }
        : {};
  return new Promise((resolve) => {
    let got = "";
    const socket = connect({ port, host: "127.0.0.1", ca: readFileSync(certs.caCert), ...identity, ...extra }, () =>
      socket.write("GET / HTTP/1.1\r\nHost: x\r\n\r\n"),
    );
    socket.on("data", (d: Buffer) => (got += d.toString()));
    socket.on("error", () => undefined);
    socket.on("close", () => resolve(got.includes("200 OK") ? got.slice(got.indexOf("\r\n\r\n") + 4) : "refused"));
  });
}

describe("the TLS layer", () => {
  it("a ClientHello goes to TLS and the request is read decrypted; plain HTTP stays plain", async () => {
    const { port } = await serve(await layerOf(""));
    expect(await request(port)).toBe("tls");
    const plain = await new Promise<string>((resolve) => {
      let got = "";
      const s = connectPlain(port, "127.0.0.1", () => s.write("GET / HTTP/1.1\r\n\r\n"));
      s.on("data", (d: Buffer) => (got += d.toString()));
      s.on("close", () => resolve(got));
    });
    expect(plain).toMatch(/plain$/);
  });

  it("speaks HTTP/1.1 by ALPN, whatever the client offers", async () => {
    const { port } = await serve(await layerOf(""));
    const protocol = await new Promise<string | false | null>((resolve) => {
      const s = connect({ port, host: "127.0.0.1", ca: readFileSync(certs.caCert), ALPNProtocols: ["h2", "http/1.1"] }, () => {
        resolve(s.alpnProtocol);
        s.destroy();
      });
    });
    expect(protocol).toBe("http/1.1");
  });

  it.each<[string, Record<Client, string>]>([
    ["NoClientCert", { none: "tls", client: "tls", stranger: "tls" }],
    ["RequestClientCert", { none: "tls", client: "tls", stranger: "tls" }],
    ["RequireAnyClientCert", { none: "refused", client: "tls", stranger: "tls" }],
    ["VerifyClientCertIfGiven", { none: "tls", client: "tls", stranger: "refused" }],
    ["RequireAndVerifyClientCert", { none: "refused", client: "tls", stranger: "refused" }],
  ])("client_auth_type %s, as Go's crypto/tls: %j", async (type, expected) => {
    const ca = type === "NoClientCert" ? "" : "  client_ca_file: ca.pem\n";
    const { port } = await serve(await layerOf(`  client_auth_type: ${type}\n${ca}`));
    const got: Record<string, string> = {};
    for (const client of ["none", "client", "stranger"] as Client[]) got[client] = await request(port, client);
    expect(got).toEqual(expected);
  });

  it("client_allowed_sans: a certificate with one of the names gets in, others are refused", async () => {
    const allowed = await serve(
      await layerOf(
        "  client_auth_type: RequireAndVerifyClientCert\n  client_ca_file: ca.pem\n  client_allowed_sans: [other.test, spiffe://test/prometheus]\n",
      ),
    );
    expect(await request(allowed.port, "client")).toBe("tls");
    const others = await serve(
      await layerOf("  client_auth_type: RequireAnyClientCert\n  client_allowed_sans: [other.test, prometheus]\n"),
    );
    expect(await request(others.port, "client")).toBe("refused");
    expect(await request(others.port, "stranger")).toBe("refused");
  });

  it("min_version and max_version bound the protocol", async () => {
    const tls13 = await serve(await layerOf("  min_version: TLS13\n"));
    expect(await request(tls13.port, "none", { maxVersion: "TLSv1.2" })).toBe("refused");
    expect(await request(tls13.port, "none", { minVersion: "TLSv1.3" })).toBe("tls");
    const tls12 = await serve(await layerOf("  max_version: TLS12\n"));
    expect(await request(tls12.port, "none", { minVersion: "TLSv1.3" })).toBe("refused");
    expect(await request(tls12.port, "none", { maxVersion: "TLSv1.2" })).toBe("tls");
  });

  it("min_version TLS10 does let a TLS 1.0 client in (OpenSSL's security level lowered for it)", async () => {
    const { port } = await serve(await layerOf("  min_version: TLS10\n"));
    expect(await request(port, "none", { minVersion: "TLSv1", maxVersion: "TLSv1", ciphers: "DEFAULT:@SECLEVEL=0" })).toBe("tls");
  });

  it("cipher_suites limit TLS 1.2's suites", async () => {
    const { port } = await serve(await layerOf("  cipher_suites: [TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384]\n"));
    expect(await request(port, "none", { maxVersion: "TLSv1.2", ciphers: "ECDHE-RSA-AES128-GCM-SHA256" })).toBe("refused");
    expect(await request(port, "none", { maxVersion: "TLSv1.2", ciphers: "ECDHE-RSA-AES256-GCM-SHA384:ECDHE-RSA-AES128-GCM-SHA256" })).toBe(
      "tls",
    );
  });

  it("prefer_server_cipher_suites: the server's order, or the client's when false", async () => {
    const suites = "  cipher_suites: [TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384, TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256]\n";
    const cipherOf = (port: number) =>
      new Promise<string>((resolve) => {
        const s = connect(
          {
            port,
            host: "127.0.0.1",
            ca: readFileSync(certs.caCert),
            maxVersion: "TLSv1.2",
            ciphers: "ECDHE-RSA-AES128-GCM-SHA256:ECDHE-RSA-AES256-GCM-SHA384",
          },
          () => {
            resolve(s.getCipher().name);
            s.destroy();
          },
        );
      });
    expect(await cipherOf((await serve(await layerOf(suites))).port)).toBe("ECDHE-RSA-AES256-GCM-SHA384");
    expect(await cipherOf((await serve(await layerOf(`${suites}  prefer_server_cipher_suites: false\n`))).port)).toBe(
      "ECDHE-RSA-AES128-GCM-SHA256",
    );
  });

  it("curve_preferences limit the key exchange groups", async () => {
    const { port } = await serve(await layerOf("  curve_preferences: [CurveP384]\n"));
    expect(await request(port, "none", { ecdhCurve: "X25519" })).toBe("refused");
    expect(await request(port, "none", { ecdhCurve: "X25519:P-384" })).toBe("tls");
  });

  it("use(): new connections get the new certificate, while the old settings served the old ones", async () => {
    const layer = await layerOf("");
    const { port } = await serve(layer);
    const subjectOf = () =>
      new Promise<string | undefined>((resolve) => {
        const s = connect({ port, host: "127.0.0.1", rejectUnauthorized: false }, () => {
          resolve(s.getPeerX509Certificate()?.subject);
          s.destroy();
        });
      });
    expect(await subjectOf()).toBe("CN=127.0.0.1");
    const path = join(certs.dir, "stranger-web.yml");
    writeFileSync(path, "tls_server_config:\n  cert_file: stranger.pem\n  key_file: stranger.key\n");
    const next = await load(path);
    layer.use(next.tls!, next.config.tls!);
    expect(await subjectOf()).toBe("CN=stranger");
  });

  it(`bounds new handshakes per client network (${HANDSHAKES.perNetworkBurst} at once): beyond, the connection is closed before any TLS work`, async () => {
    let now = 0;
    const { port } = await serve(await layerOf("", () => now));
    const answers = [];
    for (let i = 0; i < HANDSHAKES.perNetworkBurst + 2; i++) answers.push(await request(port));
    expect(answers.filter((a) => a === "tls")).toHaveLength(HANDSHAKES.perNetworkBurst);
    expect(answers.slice(-2)).toEqual(["refused", "refused"]);
    now += 1000;
    expect(await request(port)).toBe("tls");
  });

  it("a connection whose handshake is under way is closed at once when timed out", async () => {
    const { port, connections: gates } = await serve(await layerOf(""));
    const s = connectPlain(port, "127.0.0.1", () => s.write(Buffer.from([0x16, 0x03, 0x01, 0x00, 0x50])));
    s.on("error", () => undefined);
    while (gates.length === 0 || !gates[0]) await new Promise((r) => setTimeout(r, 10));
    await new Promise((r) => setTimeout(r, 50));
    const closed = new Promise((r) => s.once("close", r));
    gates[0].timeOut();
    await closed;
    expect(gates[0].socket.destroyed).toBe(true);
  });

  it("a verified client certificate proves the connection's client; no certificate, or one not verified, proves nothing", async () => {
    const { port, connections } = await serve(await layerOf("  client_ca_file: ca.pem\n  client_auth_type: VerifyClientCertIfGiven\n"));
    expect(await request(port, "client")).toBe("tls");
    expect(await request(port, "none")).toBe("tls");
    expect(connections.map((c) => c.proven)).toEqual([true, false]);
  });
});
