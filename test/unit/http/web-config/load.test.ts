import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { createSecureContext } from "node:tls";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadWebConfig } from "../../../../src/http/web-config/load.js";
import { WebConfigError } from "../../../../src/http/web-config/config.js";
import { makeCertificates, PARSE_WORKER, removeTempDirs, tempDir, type TestCertificates } from "../../../helpers/index.js";

/** Reads a file as the endpoint does, through the built parse thread. */
const load = (path: string) => loadWebConfig(path, PARSE_WORKER);

let certs: TestCertificates;
let dir: string;
beforeAll(() => {
  certs = makeCertificates(tempDir("web-config-certs-"));
  dir = tempDir("web-config-");
});
afterAll(removeTempDirs);

let n = 0;
/** Writes a web configuration file and returns its path. */
function file(text: string): string {
  const path = join(dir, `web-${n++}.yml`);
  writeFileSync(path, text);
  return path;
}

async function rejection(path: string): Promise<WebConfigError> {
  const error = await load(path).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(WebConfigError);
  return error as WebConfigError;
}

const pair = () => `  cert_file: ${certs.serverCert}\n  key_file: ${certs.serverKey}\n`;

describe("loading a web configuration file", () => {
  it("without TLS: only the file itself is watched, and nothing of TLS is prepared", async () => {
    const loaded = await load(file("basic_auth_users:\n  alice: $2y$10$X0h1gDsPszWURQaxFh.zoubFi6DXncSjhoQNJgRrnGs7EsimhC7zG\n"));
    expect(loaded.tls).toBeUndefined();
    expect(loaded.files).toEqual([loaded.path]);
    expect(loaded.config.users.size).toBe(1);
  });

  it("with TLS: the certificate, key and CA read (relative to the file), options as each client_auth_type needs, every file watched", async () => {
    const relative = join(certs.dir, "web.yml");
    writeFileSync(
      relative,
      "tls_server_config:\n  cert_file: server.pem\n  key_file: server.key\n  client_ca_file: ca.pem\n  client_auth_type: RequireAndVerifyClientCert\n",
    );
    const loaded = await load(relative);
    expect(loaded.files).toEqual([relative, certs.serverCert, certs.serverKey, certs.caCert]);
    expect(loaded.tls).toMatchObject({
      cert: readFileSync(certs.serverCert, "utf8"),
      ca: readFileSync(certs.caCert, "utf8"),
      requestCert: true,
      rejectUnauthorized: true,
      minVersion: "TLSv1.2",
      maxVersion: "TLSv1.3",
      honorCipherOrder: true,
      ALPNProtocols: ["http/1.1"],
    });
    expect(() => createSecureContext(loaded.tls)).not.toThrow();
    expect(loaded.warnings).toEqual([]);
  });

  it.each([
    ["NoClientCert", false, false],
    ["RequestClientCert", true, false],
    ["RequireAnyClientCert", true, false],
    ["VerifyClientCertIfGiven", true, false],
    ["RequireAndVerifyClientCert", true, true],
  ])(
    "client_auth_type %s: requestCert %s, rejectUnauthorized %s (the rest is checked after the handshake)",
    async (type, request, reject) => {
      const ca = type === "NoClientCert" ? "" : `  client_ca_file: ${certs.caCert}\n`;
      const loaded = await load(file(`tls_server_config:\n${pair()}${ca}  client_auth_type: ${type}\n`));
      expect(loaded.tls).toMatchObject({ requestCert: request, rejectUnauthorized: reject });
    },
  );

  it("inline cert, key and client_ca work as the files do", async () => {
    const indent = (path: string) =>
      readFileSync(path, "utf8")
        .trim()
        .split("\n")
        .map((l) => `    ${l}`)
        .join("\n");
    const loaded = await load(
      file(
        `tls_server_config:\n  cert: |\n${indent(certs.serverCert)}\n  key: |\n${indent(certs.serverKey)}\n  client_ca: |\n${indent(certs.caCert)}\n  client_auth_type: VerifyClientCertIfGiven\n`,
      ),
    );
    expect(loaded.tls!.key).toBe(readFileSync(certs.serverKey, "utf8"));
    expect(loaded.files).toEqual([loaded.path]);
  });

  it("cipher suites by Go's names as OpenSSL's, in server order unless prefer_server_cipher_suites is false; TLS 1.3 names change nothing", async () => {
    const loaded = await load(
      file(
        `tls_server_config:\n${pair()}  cipher_suites: [TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384, TLS_AES_128_GCM_SHA256, TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256]\n  prefer_server_cipher_suites: false\n`,
      ),
    );
    expect(loaded.tls).toMatchObject({
      ciphers: "ECDHE-RSA-AES256-GCM-SHA384:ECDHE-RSA-CHACHA20-POLY1305",
      honorCipherOrder: false,
      minVersion: "TLSv1.2",
    });
  });

  it("only TLS 1.3 names: as in Go, only TLS 1.3 can be agreed; with max_version TLS12 nothing could, which is an error", async () => {
    expect((await load(file(`tls_server_config:\n${pair()}  cipher_suites: [TLS_AES_256_GCM_SHA384]\n`))).tls).toMatchObject({
      minVersion: "TLSv1.3",
    });
    const error = await rejection(file(`tls_server_config:\n${pair()}  cipher_suites: [TLS_AES_256_GCM_SHA384]\n  max_version: TLS12\n`));
    expect(error.message).toBe("tls_server_config.cipher_suites: lists only TLS 1.3 suites, which leaves none for max_version TLS12");
  });

  it("curve preferences as OpenSSL's group list, in order; a curve this Node's OpenSSL lacks is named", async () => {
    expect((await load(file(`tls_server_config:\n${pair()}  curve_preferences: [CurveP384, X25519]\n`))).tls).toMatchObject({
      ecdhCurve: "P-384:X25519",
    });
    const hybrid = file(`tls_server_config:\n${pair()}  curve_preferences: [X25519, SecP256r1MLKEM768]\n`);
    let opensslHasIt = true;
    try {
      createSecureContext({ ecdhCurve: "SecP256r1MLKEM768" });
    } catch {
      opensslHasIt = false;
    }
    if (opensslHasIt) expect((await load(hybrid)).tls).toMatchObject({ ecdhCurve: "X25519:SecP256r1MLKEM768" });
    else
      expect((await rejection(hybrid)).message).toBe(
        `tls_server_config.curve_preferences: "SecP256r1MLKEM768" is not supported by this Node.js's OpenSSL ${process.versions.openssl}`,
      );
  });

  it("min_version TLS10 lowers OpenSSL's security level (else it refuses TLS 1.0), and says so once", async () => {
    const loaded = await load(file(`tls_server_config:\n${pair()}  min_version: TLS10\n`));
    expect(loaded.tls!.minVersion).toBe("TLSv1");
    expect(loaded.tls!.ciphers).toMatch(/:@SECLEVEL=0$/);
    expect(loaded.warnings).toEqual([
      expect.stringMatching(/^tls_server_config.min_version TLS10: TLS 1.0 and 1.1 need OpenSSL's security level 0/),
    ]);
  });
});

describe("a web configuration file whose files cannot be used: the key that names them, never their content", () => {
  it("the file itself missing, a directory, or too large", async () => {
    expect((await rejection(join(dir, "missing.yml"))).message).toBe(`cannot read ${JSON.stringify(join(dir, "missing.yml"))} (ENOENT)`);
    expect((await rejection(dir)).message).toBe(`expected a regular file, ${JSON.stringify(dir)} is not one`);
    const big = file(`# ${"x".repeat(1024 * 1024)}\n`);
    expect((await rejection(big)).message).toMatch(/^expected a file of at most 1 MiB/);
  });

  it("a certificate or key file that is missing or unreadable", async () => {
    const e = await rejection(file(`tls_server_config:\n  cert_file: nowhere.pem\n  key_file: ${certs.serverKey}\n`));
    expect(e.key).toBe("tls_server_config.cert_file");
    expect(e.message).toBe(`tls_server_config.cert_file: cannot read ${JSON.stringify(join(dir, "nowhere.pem"))} (ENOENT)`);
    const k = await rejection(file(`tls_server_config:\n  cert_file: ${certs.serverCert}\n  key_file: ${dir}\n`));
    expect(k.message).toBe(`tls_server_config.key_file: expected a regular file, ${JSON.stringify(dir)} is not one`);
  });

  it("a certificate that is not one, a key that is not one (its text never shown), a key of another certificate", async () => {
    const notCert = join(dir, "not-cert.pem");
    writeFileSync(notCert, readFileSync(certs.serverKey));
    expect((await rejection(file(`tls_server_config:\n  cert_file: ${notCert}\n  key_file: ${certs.serverKey}\n`))).message).toBe(
      "tls_server_config.cert_file: expected a PEM certificate (-----BEGIN CERTIFICATE-----), the server's first",
    );
    const badKey = "-----BEGIN PRIVATE KEY-----\nTOPSECRETTOPSECRETTOPSECRET\n-----END PRIVATE KEY-----\n";
    const inline = await rejection(
      file(`tls_server_config:\n  cert_file: ${certs.serverCert}\n  key: |\n    ${badKey.trim().split("\n").join("\n    ")}\n`),
    );
    expect(inline.message).toBe(
      "tls_server_config.key: expected an unencrypted PEM private key (-----BEGIN PRIVATE KEY-----, or RSA or EC PRIVATE KEY)",
    );
    expect(inline.message).not.toContain("TOPSECRET");
    const other = await rejection(file(`tls_server_config:\n  cert_file: ${certs.serverCert}\n  key_file: ${certs.strangerKey}\n`));
    expect(other.message).toBe(
      "tls_server_config.key_file: expected the private key of the certificate in cert_file; this key belongs to another",
    );
  });

  it("an encrypted key (Go's X509KeyPair takes none either)", async () => {
    const encrypted = join(dir, "encrypted.key");
    const r = await import("node:crypto").then(({ createPrivateKey }) =>
      createPrivateKey(readFileSync(certs.serverKey)).export({ format: "pem", type: "pkcs8", cipher: "aes-256-cbc", passphrase: "pw" }),
    );
    writeFileSync(encrypted, r);
    expect((await rejection(file(`tls_server_config:\n  cert_file: ${certs.serverCert}\n  key_file: ${encrypted}\n`))).key).toBe(
      "tls_server_config.key_file",
    );
  });

  it("a client CA file without a certificate in it", async () => {
    const empty = join(dir, "empty-ca.pem");
    writeFileSync(empty, "nothing here\n");
    const e = await rejection(
      file(`tls_server_config:\n${pair()}  client_ca_file: ${empty}\n  client_auth_type: RequireAndVerifyClientCert\n`),
    );
    expect(e.message).toBe("tls_server_config.client_ca_file: expected PEM certificates (-----BEGIN CERTIFICATE-----); found none");
    const broken = join(dir, "broken-ca.pem");
    writeFileSync(broken, `${readFileSync(certs.caCert, "utf8")}-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n`);
    const e2 = await rejection(
      file(`tls_server_config:\n${pair()}  client_ca_file: ${broken}\n  client_auth_type: RequireAndVerifyClientCert\n`),
    );
    expect(e2.message).toBe("tls_server_config.client_ca_file: expected PEM certificates; certificate 2 does not parse");
  });
});
