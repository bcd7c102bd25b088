import { createPrivateKey, X509Certificate, type KeyObject } from "node:crypto";
import { constants } from "node:fs";
import { open } from "node:fs/promises";
import { dirname, resolve } from "node:path";
import { createSecureContext, DEFAULT_CIPHERS, type TlsOptions } from "node:tls";
import { Worker } from "node:worker_threads";
import type { ParseRequest, ParseResult } from "./parse-worker.js";
import { PARSE_WORKER } from "./worker-files.js";
import { CIPHER_SUITES, CURVES, TLS_VERSIONS } from "./names.js";
import { WebConfigError, type TlsSettings, type WebConfig } from "./config.js";
import { describeError } from "../../common/log.js";

/** A web configuration file read, with what TLS needs ready to use. */
export interface LoadedWebConfig {
  /** The file, as an absolute path. */
  readonly path: string;
  readonly config: WebConfig;
  /** Options for a tls.Server, checked by building a secure context from them; undefined without TLS. */
  readonly tls: TlsOptions | undefined;
  /** Every file it was read from (the configuration and the certificate, key and CA files), to notice a change. */
  readonly files: readonly string[];
  /** Things that work but deserve a word at start-up. */
  readonly warnings: readonly string[];
}

// Far more than any web configuration, certificate chain or CA bundle: a bound on what is read.
const MAX_FILE_BYTES = 1024 * 1024;
/** A file's YAML not read by then is refused: far more than the largest file takes (about 2 s for 1 MiB on a busy core). */
export const PARSE_TIME_LIMIT_MS = 15_000;

/**
 * Reads and checks a web configuration file and every file it names; throws a WebConfigError
 * naming the key at fault. `parser` is the parse thread's script (tests give the built one).
 */
export async function loadWebConfig(file: string, parser: string | URL = PARSE_WORKER): Promise<LoadedWebConfig> {
  const path = resolve(file);
  const config = await parseOffThread(parser, await readText(path, ""), dirname(path));
  if (!config.tls) return { path, config, tls: undefined, files: [path], warnings: [] };
  const material = await tlsMaterial(config.tls);
  return {
    path,
    config,
    tls: tlsOptions(config.tls, material),
    files: [path, ...material.files],
    warnings:
      config.tls.minVersion === "TLS10" || config.tls.minVersion === "TLS11"
        ? [
            `tls_server_config.min_version ${config.tls.minVersion}: TLS 1.0 and 1.1 need OpenSSL's security level 0, which also accepts weak keys and SHA-1 signatures; TLS12 is safer`,
          ]
        : [],
  };
}

interface TlsMaterial {
  readonly cert: string;
  readonly key: string;
  readonly ca: string | undefined;
  readonly files: string[];
}

/** The certificate, key and client CAs, from their files or inline, each checked on its own and the pair together. */
async function tlsMaterial(tls: TlsSettings): Promise<TlsMaterial> {
  const at = "tls_server_config";
  const files: string[] = [];
  const fromFile = async (path: string | undefined, inline: string | undefined, key: string) => {
    if (path === undefined) return inline;
    files.push(path);
    return readText(path, `${at}.${key}`);
  };
  const cert = (await fromFile(tls.certFile, tls.cert, "cert_file"))!;
  const key = (await fromFile(tls.keyFile, tls.key, "key_file"))!;
  const ca = await fromFile(tls.clientCaFile, tls.clientCa, "client_ca_file");
  const certKey = tls.certFile ? "cert_file" : "cert";
  const keyKey = tls.keyFile ? "key_file" : "key";

  let leaf: X509Certificate;
  try {
    leaf = new X509Certificate(cert);
  } catch {
    throw new WebConfigError(`${at}.${certKey}`, "expected a PEM certificate (-----BEGIN CERTIFICATE-----), the server's first");
  }
  let privateKey: KeyObject;
  try {
    privateKey = createPrivateKey(key);
  } catch {
    // Never the key's text: only that it is not one.
    throw new WebConfigError(
      `${at}.${keyKey}`,
      "expected an unencrypted PEM private key (-----BEGIN PRIVATE KEY-----, or RSA or EC PRIVATE KEY)",
    );
  }
  if (!leaf.checkPrivateKey(privateKey))
    throw new WebConfigError(`${at}.${keyKey}`, `expected the private key of the certificate in ${certKey}; this key belongs to another`);
  if (ca !== undefined) checkCertificates(ca, `${at}.${tls.clientCaFile ? "client_ca_file" : "client_ca"}`);
  return { cert, key, ca, files };
}

/** Options for tls.createServer that do what the settings say, and what OpenSSL says of them. */
function tlsOptions(tls: TlsSettings, material: TlsMaterial): TlsOptions {
  const at = "tls_server_config";
  const verify = tls.clientAuthType === "RequireAndVerifyClientCert";
  const asks = tls.clientAuthType !== "NoClientCert";
  let minVersion = TLS_VERSIONS[tls.minVersion];
  const suites12 = tls.cipherSuites.map((name) => CIPHER_SUITES[name]).filter((name): name is string => name !== undefined);
  if (tls.cipherSuites.length > 0 && suites12.length === 0) {
    // Only TLS 1.3 names: Go then has no suite for TLS 1.2 and below, so only TLS 1.3 can be agreed.
    if (tls.maxVersion !== "TLS13")
      throw new WebConfigError(`${at}.cipher_suites`, `lists only TLS 1.3 suites, which leaves none for max_version ${tls.maxVersion}`);
    minVersion = "TLSv1.3";
  }
  const legacy = minVersion === "TLSv1" || minVersion === "TLSv1.1";
  const ciphers = suites12.length > 0 ? suites12.join(":") : legacy ? DEFAULT_CIPHERS : undefined;
  const options: TlsOptions = {
    cert: material.cert,
    key: material.key,
    ...(material.ca !== undefined ? { ca: material.ca } : {}),
    requestCert: asks,
    rejectUnauthorized: verify,
    minVersion,
    maxVersion: TLS_VERSIONS[tls.maxVersion],
    ...(ciphers !== undefined ? { ciphers: legacy ? `${ciphers}:@SECLEVEL=0` : ciphers } : {}),
    honorCipherOrder: tls.preferServerCipherSuites,
    ...(tls.curvePreferences.length > 0 ? { ecdhCurve: tls.curvePreferences.map((name) => CURVES[name]).join(":") } : {}),
    // HTTP/1.1 only, whatever http_server_config.http2 says: the endpoint has no HTTP/2.
    ALPNProtocols: ["http/1.1"],
  };
  for (const name of tls.curvePreferences) {
    if (!accepted({ ecdhCurve: CURVES[name]! }))
      throw new WebConfigError(
        `${at}.curve_preferences`,
        `${JSON.stringify(name)} is not supported by this Node.js's OpenSSL ${process.versions.openssl}`,
      );
  }
  if (options.ciphers !== undefined && !accepted({ ciphers: options.ciphers })) {
    throw new WebConfigError(`${at}.cipher_suites`, `not supported by this Node.js's OpenSSL ${process.versions.openssl}`);
  }
  try {
    createSecureContext(options);
  } catch (error) {
    throw new WebConfigError(at, `OpenSSL refuses these settings (${opensslReason(error)})`);
  }
  return options;
}

function accepted(options: TlsOptions): boolean {
  try {
    createSecureContext(options);
    return true;
  } catch {
    return false;
  }
}

/** OpenSSL's reason, without anything from the files. */
function opensslReason(error: unknown): string {
  return describeError(error)
    .replace(/^error:[0-9A-F]+:/, "")
    .slice(0, 120);
}

/** Every PEM block of a CA bundle must be a certificate, and there must be one. */
function checkCertificates(pem: string, at: string): void {
  const blocks = pem.match(/-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g) ?? [];
  if (blocks.length === 0) throw new WebConfigError(at, "expected PEM certificates (-----BEGIN CERTIFICATE-----); found none");
  blocks.forEach((block, i) => {
    try {
      new X509Certificate(block);
    } catch {
      throw new WebConfigError(at, `expected PEM certificates; certificate ${i + 1} does not parse`);
    }
  });
}

/**
 * Reads a file's YAML on a thread of its own, within PARSE_TIME_LIMIT_MS and a bounded heap:
 * the main thread only waits, whatever the file's size or shape.
 */
function parseOffThread(script: string | URL, text: string, dir: string): Promise<WebConfig> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(script, {
      workerData: { text, dir } satisfies ParseRequest,
      resourceLimits: { maxOldGenerationSizeMb: 256 },
      stdout: false,
      stderr: false,
    });
    let settled = false;
    const settle = (error: WebConfigError | undefined, config?: WebConfig) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      void worker.terminate();
      if (error) reject(error);
      else resolve(config!);
    };
    const timer = setTimeout(
      () => settle(new WebConfigError("", `took more than ${PARSE_TIME_LIMIT_MS / 1000} s to read; expected a smaller file`)),
      PARSE_TIME_LIMIT_MS,
    );
    worker.once("message", (result: ParseResult) =>
      settle(
        "error" in result ? new WebConfigError(result.error.key, result.error.problem, result.error.line) : undefined,
        "config" in result ? result.config : undefined,
      ),
    );
    worker.once("error", (error) => settle(new WebConfigError("", `cannot be read (${error.message.slice(0, 80)})`)));
    worker.once("exit", () => settle(new WebConfigError("", "cannot be read (the reading thread ended)")));
  });
}

/**
 * A file's text, at most MAX_FILE_BYTES; what went wrong named by the key that points at it ("" for
 * the configuration itself). Opened without blocking (a FIFO or a device would hold the open, or
 * the read, forever) and read only once fstat says it is a regular file.
 */
async function readText(path: string, key: string): Promise<string> {
  try {
    const handle = await open(path, constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOCTTY);
    try {
      const info = await handle.stat();
      if (!info.isFile()) throw new WebConfigError(key, `expected a regular file, ${JSON.stringify(path)} is not one`);
      if (info.size > MAX_FILE_BYTES)
        throw new WebConfigError(key, `expected a file of at most 1 MiB, ${JSON.stringify(path)} has ${info.size} bytes`);
      // Never more than the cap, even from a file that grows while it is read.
      const buffer = Buffer.alloc(MAX_FILE_BYTES + 1);
      let length = 0;
      for (let n = -1; n !== 0 && length < buffer.length; length += n)
        n = (await handle.read(buffer, length, buffer.length - length, null)).bytesRead;
      if (length > MAX_FILE_BYTES) throw new WebConfigError(key, `expected a file of at most 1 MiB, ${JSON.stringify(path)} grew past it`);
      return buffer.toString("utf8", 0, length);
    } finally {
      await handle.close();
    }
  } catch (error) {
    if (error instanceof WebConfigError) throw error;
    throw new WebConfigError(key, `cannot read ${JSON.stringify(path)} (${(error as NodeJS.ErrnoException).code ?? "error"})`);
  }
}
