// Certificates for web configuration tests, made with the openssl CLI: a CA, a server and clients.
import { spawnSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";

/** Files of the certificates a test made (PEM): a CA, a server certificate and clients. */
export interface TestCertificates {
  readonly dir: string;
  readonly caCert: string;
  /** For 127.0.0.1 and localhost, signed by the CA. */
  readonly serverCert: string;
  readonly serverKey: string;
  /** A client certificate signed by the CA (extended key usage clientAuth, SAN DNS:prometheus.test and URI:spiffe://test/prometheus). */
  readonly clientCert: string;
  readonly clientKey: string;
  /** A self-signed client certificate no CA vouches for. */
  readonly strangerCert: string;
  readonly strangerKey: string;
}

function openssl(dir: string, args: string[]): void {
  const r = spawnSync("openssl", args, { cwd: dir, encoding: "utf8" });
  if (r.status !== 0) throw new Error(`openssl ${args.join(" ")} failed: ${r.stderr}`);
}

/**
 * Signs a new certificate with the test CA in `dir` (made by makeCertificates): `name`.pem and
 * `name`.key, for the subject and the openssl extensions given (lines of an -extfile).
 */
export function signCertificate(dir: string, name: string, subject: string, extensions: string): { cert: string; key: string } {
  writeFileSync(join(dir, `${name}.ext`), extensions);
  openssl(dir, ["req", "-newkey", "rsa:2048", "-nodes", "-keyout", `${name}.key`, "-out", `${name}.csr`, "-subj", subject]);
  openssl(dir, [
    "x509",
    "-req",
    "-in",
    `${name}.csr`,
    "-CA",
    "ca.pem",
    "-CAkey",
    "ca.key",
    "-CAcreateserial",
    "-out",
    `${name}.pem`,
    "-days",
    "2",
    "-extfile",
    `${name}.ext`,
  ]);
  return { cert: join(dir, `${name}.pem`), key: join(dir, `${name}.key`) };
}

/** The extensions of a server certificate for 127.0.0.1 (and localhost). */
export const SERVER_EXTENSIONS = "subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n";

/** Makes a CA, a server certificate for 127.0.0.1 and client certificates with the openssl CLI, in `dir`. */
export function makeCertificates(dir: string): TestCertificates {
  openssl(dir, [
    "req",
    "-x509",
    "-newkey",
    "rsa:2048",
    "-nodes",
    "-keyout",
    "ca.key",
    "-out",
    "ca.pem",
    "-days",
    "2",
    "-subj",
    "/CN=test CA",
  ]);
  signCertificate(dir, "server", "/CN=127.0.0.1", SERVER_EXTENSIONS);
  signCertificate(
    dir,
    "client",
    "/CN=prometheus",
    "subjectAltName=DNS:prometheus.test,URI:spiffe://test/prometheus\nextendedKeyUsage=clientAuth\n",
  );
  openssl(dir, [
    "req",
    "-x509",
    "-newkey",
    "rsa:2048",
    "-nodes",
    "-keyout",
    "stranger.key",
    "-out",
    "stranger.pem",
    "-days",
    "2",
    "-subj",
    "/CN=stranger",
    "-addext",
    "extendedKeyUsage=clientAuth",
  ]);
  const at = (f: string) => join(dir, f);
  return {
    dir,
    caCert: at("ca.pem"),
    serverCert: at("server.pem"),
    serverKey: at("server.key"),
    clientCert: at("client.pem"),
    clientKey: at("client.key"),
    strangerCert: at("stranger.pem"),
    strangerKey: at("stranger.key"),
  };
}
