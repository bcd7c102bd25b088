import { isAbsolute, resolve } from "node:path";
import { isAlias, isMap, isScalar, isSeq, LineCounter, parseDocument, type Document, type Node } from "yaml";
import {
  BCRYPT_RULE,
  bcryptCost,
  CIPHER_SUITES,
  CLIENT_AUTH_ALIASES,
  CLIENT_AUTH_TYPES,
  CURVES,
  SETTABLE_HEADERS,
  TLS_VERSIONS,
  type ClientAuthType,
  type TlsVersionName,
} from "./names.js";
import { WebConfigError, type RateLimit, type TlsSettings, type WebConfig } from "./config.js";

const TOP_KEYS = ["tls_server_config", "http_server_config", "basic_auth_users", "rate_limit"];
const TLS_KEYS = [
  "cert",
  "key",
  "client_ca",
  "cert_file",
  "key_file",
  "client_auth_type",
  "client_ca_file",
  "client_allowed_sans",
  "min_version",
  "max_version",
  "cipher_suites",
  "prefer_server_cipher_suites",
  "curve_preferences",
];
const HTTP_KEYS = ["http2", "headers"];
const RATE_KEYS = ["interval", "burst"];
const VERSION_NAMES = Object.keys(TLS_VERSIONS) as TlsVersionName[];

/**
 * Reads a web configuration file's text as the exporter toolkit does: YAML (1.1, as Go's yaml.v2
 * reads it), strict (an unknown key, a duplicate key or a wrong type is an error), relative paths
 * taken from the file's directory. Throws a WebConfigError naming the key at fault.
 */
export function parseWebConfig(text: string, dir: string): WebConfig {
  const lines = new LineCounter();
  const doc = parseDocument(text, { version: "1.1", lineCounter: lines, prettyErrors: false, uniqueKeys: false });
  const [error] = doc.errors;
  if (error) {
    const { line, col } = lines.linePos(error.pos[0]);
    // Only the message's leading words and its code: the rest can quote the file, and the line
    // could hold a password hash or a key.
    // (Up to a colon, after which a message may name what the file holds; brackets and quotes
    // end some of the parser's own sentences: "... and end with a ]".)
    const words = /^[A-Za-z ,'"()[\]{}-]*/.exec(error.message)![0].trim() || "cannot be read";
    throw new WebConfigError("", `not valid YAML at line ${line}, column ${col}: ${words} (${error.code})`);
  }
  const read = new Reader(doc, lines);
  const top = read.mapping(doc.contents, "", TOP_KEYS);
  return {
    tls: tlsSettings(read, top.get("tls_server_config"), dir),
    ...httpSettings(read, top.get("http_server_config")),
    users: users(read, top.get("basic_auth_users")),
    rateLimit: rateLimit(read, top.get("rate_limit")),
  };
}

function tlsSettings(read: Reader, node: Entry | undefined, dir: string): TlsSettings | undefined {
  const at = "tls_server_config";
  const keys = read.mapping(node?.value, at, TLS_KEYS);
  const text = (key: string) => read.text(keys.get(key), `${at}.${key}`);
  const path = (key: string) => {
    const value = text(key);
    return value === undefined || value === "" ? undefined : isAbsolute(value) ? value : resolve(dir, value);
  };
  const inline = (key: string) => {
    const value = text(key);
    return value === "" ? undefined : value;
  };
  const settings = {
    certFile: path("cert_file"),
    cert: inline("cert"),
    keyFile: path("key_file"),
    key: inline("key"),
    clientCaFile: path("client_ca_file"),
    clientCa: inline("client_ca"),
    clientAuthType: clientAuthType(read, keys.get("client_auth_type"), `${at}.client_auth_type`),
    clientAllowedSans: read.list(keys.get("client_allowed_sans"), `${at}.client_allowed_sans`),
    minVersion: version(read, keys.get("min_version"), `${at}.min_version`) ?? "TLS12",
    maxVersion: version(read, keys.get("max_version"), `${at}.max_version`) ?? "TLS13",
    cipherSuites: names(
      read,
      keys.get("cipher_suites"),
      `${at}.cipher_suites`,
      CIPHER_SUITES,
      "a cipher suite of Go's tls.CipherSuites(), such as TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
    ),
    preferServerCipherSuites: read.boolean(keys.get("prefer_server_cipher_suites"), `${at}.prefer_server_cipher_suites`) ?? true,
    curvePreferences: names(
      read,
      keys.get("curve_preferences"),
      `${at}.curve_preferences`,
      CURVES,
      `one of ${Object.keys(CURVES).join(", ")}`,
    ),
  };
  // As the toolkit: any of these turns TLS on; the version, cipher and curve keys alone do not.
  const rawAuth = read.text(keys.get("client_auth_type"), `${at}.client_auth_type`);
  const enabled = [
    settings.certFile,
    settings.cert,
    settings.keyFile,
    settings.key,
    settings.clientCaFile,
    settings.clientCa,
    rawAuth,
  ].some((v) => v !== undefined && v !== "");
  if (!enabled) return undefined;
  if (!settings.certFile && !settings.cert)
    throw read.error(node, at, "TLS is turned on but the certificate is missing: expected cert_file (or cert, the PEM text)");
  if (!settings.keyFile && !settings.key)
    throw read.error(node, at, "TLS is turned on but the private key is missing: expected key_file (or key, the PEM text)");
  if ((settings.clientCaFile || settings.clientCa) && settings.clientAuthType === "NoClientCert") {
    const ca = keys.get("client_ca_file") ?? keys.get("client_ca");
    throw read.error(
      keys.get("client_auth_type") ?? ca,
      `${at}.client_auth_type`,
      "client_ca_file (or client_ca) is set, so expected a client_auth_type that asks for client certificates, such as RequireAndVerifyClientCert",
    );
  }
  if (
    settings.clientAllowedSans !== undefined &&
    settings.clientAuthType !== "RequireAnyClientCert" &&
    settings.clientAuthType !== "RequireAndVerifyClientCert"
  ) {
    throw read.error(
      keys.get("client_allowed_sans"),
      `${at}.client_allowed_sans`,
      "needs client_auth_type RequireAnyClientCert or RequireAndVerifyClientCert (with the others a client may send no certificate to match)",
    );
  }
  if (VERSION_NAMES.indexOf(settings.maxVersion) < VERSION_NAMES.indexOf(settings.minVersion)) {
    throw read.error(keys.get("max_version"), `${at}.max_version`, `expected a version no lower than min_version ${settings.minVersion}`);
  }
  return settings;
}

function clientAuthType(read: Reader, entry: Entry | undefined, at: string): ClientAuthType {
  const value = read.text(entry, at);
  if (value === undefined || value === "") return "NoClientCert";
  const known = (CLIENT_AUTH_TYPES as readonly string[]).includes(value) ? (value as ClientAuthType) : CLIENT_AUTH_ALIASES[value];
  if (!known) throw read.error(entry, at, `expected one of ${CLIENT_AUTH_TYPES.join(", ")}, got ${quoted(value)}`);
  return known;
}

function version(read: Reader, entry: Entry | undefined, at: string): TlsVersionName | undefined {
  const value = read.text(entry, at);
  if (value === undefined) return undefined;
  if (!(VERSION_NAMES as string[]).includes(value))
    throw read.error(entry, at, `expected one of ${VERSION_NAMES.join(", ")}, got ${quoted(value)}`);
  return value as TlsVersionName;
}

function names(read: Reader, entry: Entry | undefined, at: string, known: Readonly<Record<string, unknown>>, accepts: string): string[] {
  const values = read.list(entry, at) ?? [];
  for (const value of values)
    if (!Object.hasOwn(known, value)) throw read.error(entry, at, `expected ${accepts}; ${quoted(value)} is not one`);
  return values;
}

function httpSettings(read: Reader, node: Entry | undefined): Pick<WebConfig, "headers" | "http2"> {
  const at = "http_server_config";
  const keys = read.mapping(node?.value, at, HTTP_KEYS);
  const headerNodes = read.mapping(keys.get("headers")?.value, `${at}.headers`, Object.keys(SETTABLE_HEADERS));
  const headers = new Map<string, string>();
  for (const [name, entry] of headerNodes) {
    const where = `${at}.headers.${name}`;
    const value = read.text(entry, where) ?? "";
    const allowed = SETTABLE_HEADERS[name];
    // Blank means unset, as the toolkit documents.
    if (value === "") continue;
    if (allowed && !allowed.includes(value)) throw read.error(entry, where, `expected ${allowed.join(" or ")}, got ${quoted(value)}`);
    if (!/^[\t\x20-\x7e\x80-\xff]*$/.test(value)) throw read.error(entry, where, "expected a header value without control characters");
    headers.set(name, value);
  }
  return { headers, http2: read.boolean(keys.get("http2"), `${at}.http2`) ?? true };
}

/** A key as a message may show it: a mis-indented line can make a secret a key, so only names that look like one. */
function shownKey(key: string): string {
  return /^[A-Za-z0-9_.-]{1,64}$/.test(key) ? key : "(not shown)";
}

function users(read: Reader, node: Entry | undefined): Map<string, string> {
  const at = "basic_auth_users";
  const result = new Map<string, string>();
  for (const [user, entry] of read.mapping(node?.value, at, undefined)) {
    // A hash written where the user name goes must not be shown either.
    const where = `${at}.${shownKey(user)}`;
    const hash = read.text(entry, where) ?? "";
    // The value is a secret: described by its length, never shown.
    if (bcryptCost(hash) === undefined)
      throw read.error(entry, where, `expected ${BCRYPT_RULE} (value not shown: ${hash.length} characters)`);
    result.set(user, hash);
  }
  return result;
}

function rateLimit(read: Reader, node: Entry | undefined): RateLimit | undefined {
  const at = "rate_limit";
  const keys = read.mapping(node?.value, at, RATE_KEYS);
  const intervalEntry = keys.get("interval");
  const intervalText = read.text(intervalEntry, `${at}.interval`);
  let intervalMs = 0;
  if (intervalText !== undefined && intervalText !== "") {
    // yaml.v2 also takes a bare integer as nanoseconds.
    const ms = /^\d+$/.test(intervalText) ? Number(intervalText) / 1e6 : parseGoDuration(intervalText);
    if (ms === undefined)
      throw read.error(
        intervalEntry,
        `${at}.interval`,
        `expected a duration such as 1s, 500ms or 1m30s (0: no limit), got ${quoted(intervalText)}`,
      );
    intervalMs = ms;
  }
  const burst = read.integer(keys.get("burst"), `${at}.burst`) ?? 0;
  if (intervalMs === 0) return undefined;
  if (burst < 1)
    throw read.error(
      keys.get("burst"),
      `${at}.burst`,
      "expected an integer of at least 1 when rate_limit.interval is set (0 would refuse every request)",
    );
  return { intervalMs, burst };
}

/** A key's node and the node of its value. */
interface Entry {
  readonly key: Node;
  readonly value: unknown;
}

/** Reads nodes of the document with the toolkit's types, naming the key and the line of whatever does not fit. */
class Reader {
  constructor(
    private readonly doc: Document,
    private readonly lines: LineCounter,
  ) {}

  /** A mapping's entries by key (empty for a missing or null value); with `allowed`, any other key is an error. */
  mapping(value: unknown, at: string, allowed: readonly string[] | undefined): Map<string, Entry> {
    const node = this.resolved(value);
    const entries = new Map<string, Entry>();
    if (this.isNull(node)) return entries;
    if (!isMap(node))
      throw this.error(
        { key: node as Node, value: node },
        at || "top level",
        allowed ? `expected a mapping of ${allowed.join(", ")}` : "expected a mapping",
      );
    for (const pair of node.items) {
      const keyNode = this.resolved(pair.key);
      if (!isScalar(keyNode) || keyNode.value === null || typeof keyNode.value === "object")
        throw this.error({ key: pair.key as Node, value: pair.value }, at || "top level", "expected plain keys");
      const key = scalarText(keyNode);
      if (allowed && !allowed.includes(key)) {
        const name = shownKey(key);
        throw this.error(
          { key: keyNode, value: keyNode },
          at || "top level",
          `unknown key ${name === key ? quoted(key) : name}: expected one of ${allowed.join(", ")}`,
        );
      }
      // Duplicates are found here, in linear time (the yaml library's own check is quadratic).
      if (entries.has(key)) {
        const name = shownKey(key);
        throw this.error({ key: keyNode, value: keyNode }, at || "top level", `duplicate key ${name === key ? quoted(key) : name}`);
      }
      entries.set(key, { key: keyNode, value: pair.value });
    }
    return entries;
  }

  /** A scalar as text, as yaml.v2 puts any scalar into a string; undefined when missing or null. */
  text(entry: Entry | undefined, at: string): string | undefined {
    if (!entry) return undefined;
    const node = this.resolved(entry.value);
    if (this.isNull(node)) return undefined;
    if (!isScalar(node)) throw this.error(entry, at, "expected a single value");
    return scalarText(node);
  }

  list(entry: Entry | undefined, at: string): string[] | undefined {
    if (!entry) return undefined;
    const node = this.resolved(entry.value);
    if (this.isNull(node)) return undefined;
    if (!isSeq(node)) throw this.error(entry, at, "expected a list");
    return node.items.map((item, i) => {
      const value = this.resolved(item);
      if (!isScalar(value) || value.value === null)
        throw this.error({ key: item as Node, value: item }, `${at}[${i}]`, "expected a single value");
      return scalarText(value);
    });
  }

  boolean(entry: Entry | undefined, at: string): boolean | undefined {
    if (!entry) return undefined;
    const node = this.resolved(entry.value);
    if (this.isNull(node)) return undefined;
    if (!isScalar(node) || typeof node.value !== "boolean") throw this.error(entry, at, "expected true or false");
    return node.value;
  }

  integer(entry: Entry | undefined, at: string): number | undefined {
    if (!entry) return undefined;
    const node = this.resolved(entry.value);
    if (this.isNull(node)) return undefined;
    if (!isScalar(node) || typeof node.value !== "number" || !Number.isSafeInteger(node.value) || node.value < 0)
      throw this.error(entry, at, "expected a whole number, 0 or more");
    return node.value;
  }

  /** An error at a key, with the line of its value (or of the key, when the value is empty). */
  error(entry: Entry | undefined, at: string, problem: string): WebConfigError {
    const node = (entry && isNodeWithRange(entry.value) ? entry.value : entry?.key) as Node | undefined;
    const offset = node?.range?.[0];
    return new WebConfigError(at, problem, offset === undefined ? undefined : this.lines.linePos(offset).line);
  }

  private resolved(value: unknown): unknown {
    return isAlias(value) ? value.resolve(this.doc) : value;
  }

  private isNull(node: unknown): boolean {
    return node === null || node === undefined || (isScalar(node) && node.value === null);
  }
}

function isNodeWithRange(value: unknown): boolean {
  return typeof value === "object" && value !== null && Array.isArray((value as Node).range);
}

/** A plain scalar's text as written (1.10 stays "1.10", yes stays "yes"); a quoted one's value. */
function scalarText(node: { value: unknown; source?: string }): string {
  if (typeof node.value === "string") return node.value;
  return node.source ?? String(node.value);
}

/** A value quoted for a message, shortened. */
function quoted(value: string): string {
  return JSON.stringify(value.length > 64 ? `${value.slice(0, 64)}...` : value);
}

const UNIT_MS: Readonly<Record<string, number>> = {
  ns: 1e-6,
  us: 1e-3,
  "\u00b5s": 1e-3,
  "\u03bcs": 1e-3,
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
};

/**
 * A duration written as Go's time.ParseDuration reads it ("1s", "1m30s", "250ms", "0"), in
 * milliseconds; undefined when it is not one. Negative durations are not accepted.
 */
export function parseGoDuration(text: string): number | undefined {
  if (text === "0") return 0;
  const body = text.startsWith("+") ? text.slice(1) : text;
  if (body === "") return undefined;
  let total = 0;
  let rest = body;
  while (rest !== "") {
    const m = /^(\d+(?:\.\d*)?|\.\d+)([a-zµμ]+)/.exec(rest);
    const unit = m ? UNIT_MS[m[2]!] : undefined;
    if (!m || unit === undefined) return undefined;
    total += Number(m[1]) * unit;
    rest = rest.slice(m[0].length);
  }
  return Number.isFinite(total) ? total : undefined;
}
