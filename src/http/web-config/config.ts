import type { ClientAuthType, TlsVersionName } from "./names.js";

/** tls_server_config, once it turns TLS on: paths resolved against the file's directory. */
export interface TlsSettings {
  /** The server's certificate: a file (wins, as in the toolkit) or PEM text given inline. */
  readonly certFile: string | undefined;
  readonly cert: string | undefined;
  readonly keyFile: string | undefined;
  /** Inline private key: a secret, never printed. */
  readonly key: string | undefined;
  /** CAs that client certificates are verified against: a file (wins) or PEM text. */
  readonly clientCaFile: string | undefined;
  readonly clientCa: string | undefined;
  readonly clientAuthType: ClientAuthType;
  /** Subject alternative names a client certificate must have one of; undefined: no such check. */
  readonly clientAllowedSans: readonly string[] | undefined;
  readonly minVersion: TlsVersionName;
  readonly maxVersion: TlsVersionName;
  /** Go's cipher suite names; empty: OpenSSL's defaults. */
  readonly cipherSuites: readonly string[];
  readonly preferServerCipherSuites: boolean;
  /** Go's curve names, in order of preference; empty: OpenSSL's defaults. */
  readonly curvePreferences: readonly string[];
}

/** rate_limit: one request per interval, in bursts of up to `burst`. */
export interface RateLimit {
  readonly intervalMs: number;
  readonly burst: number;
}

/** A web configuration file (the Prometheus exporter toolkit's format), checked. */
export interface WebConfig {
  /** undefined: the file does not turn TLS on, the endpoint stays plain HTTP. */
  readonly tls: TlsSettings | undefined;
  /** User name to bcrypt hash; empty: no basic auth. */
  readonly users: ReadonlyMap<string, string>;
  /** Headers every answer carries (the ones the toolkit allows). */
  readonly headers: ReadonlyMap<string, string>;
  /** Accepted for compatibility; the endpoint speaks HTTP/1.1 whatever it says. */
  readonly http2: boolean;
  readonly rateLimit: RateLimit | undefined;
}

/**
 * A file that cannot be used: the key at fault (e.g. tls_server_config.min_version, empty for
 * the file as a whole), the line when known, and what is wrong, in words that never include a secret.
 */
export class WebConfigError extends Error {
  constructor(
    readonly key: string,
    readonly problem: string,
    readonly line?: number,
  ) {
    const where = line === undefined ? "" : ` (line ${line})`;
    super(key === "" ? `${problem}${where}` : `${key}${where}: ${problem}`);
  }
}
