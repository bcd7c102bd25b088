import { describe, expect, it } from "vitest";
import { parseWebConfig } from "../../../../src/http/web-config/parse.js";
import { WebConfigError } from "../../../../src/http/web-config/config.js";

const DIR = "/etc/runner";
// Secrets that appear in the files below: no message may ever contain one.
const HASH = "$2y$10$X0h1gDsPszWURQaxFh.zoubFi6DXncSjhoQNJgRrnGs7EsimhC7zG";
const INLINE_KEY =
  "-----BEGIN PRIVATE KEY-----\n    MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7VJTUt9Us8cKj\n    -----END PRIVATE KEY-----";
const SECRETS = [HASH, "MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7VJTUt9Us8cKj", "X0h1gDsPszWURQaxFh"];

function parsed(text: string) {
  return parseWebConfig(text, DIR);
}

/** The error a file gets; fails when it parses. */
function rejection(text: string): WebConfigError {
  try {
    parsed(text);
  } catch (error) {
    expect(error).toBeInstanceOf(WebConfigError);
    return error as WebConfigError;
  }
  throw new Error(`expected the file to be rejected:\n${text}`);
}

describe("a web configuration file that can be used", () => {
  it("empty: no TLS, no users, no headers, HTTP/2 on (ignored), no rate limit, as the toolkit's defaults", () => {
    for (const text of ["", "# nothing\n", "{}\n", "tls_server_config:\nhttp_server_config:\nbasic_auth_users:\nrate_limit:\n"]) {
      const c = parsed(text);
      expect(c.tls).toBeUndefined();
      expect(c.users.size).toBe(0);
      expect(c.headers.size).toBe(0);
      expect(c.http2).toBe(true);
      expect(c.rateLimit).toBeUndefined();
    }
  });

  it("every key of tls_server_config, with paths relative to the file's directory", () => {
    const c = parsed(`
tls_server_config:
  cert_file: server.crt
  key_file: /abs/server.key
  client_auth_type: RequireAndVerifyClientCert
  client_ca_file: ca/clients.pem
  client_allowed_sans: [prometheus.example, "spiffe://cluster/prometheus"]
  min_version: TLS13
  max_version: TLS13
  cipher_suites:
    - TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256
    - TLS_AES_128_GCM_SHA256
  prefer_server_cipher_suites: false
  curve_preferences: [X25519, CurveP256]
`);
    expect(c.tls).toEqual({
      certFile: "/etc/runner/server.crt",
      cert: undefined,
      keyFile: "/abs/server.key",
      key: undefined,
      clientCaFile: "/etc/runner/ca/clients.pem",
      clientCa: undefined,
      clientAuthType: "RequireAndVerifyClientCert",
      clientAllowedSans: ["prometheus.example", "spiffe://cluster/prometheus"],
      minVersion: "TLS13",
      maxVersion: "TLS13",
      cipherSuites: ["TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256", "TLS_AES_128_GCM_SHA256"],
      preferServerCipherSuites: false,
      curvePreferences: ["X25519", "CurveP256"],
    });
  });

  it("TLS defaults as the toolkit's: TLS12 to TLS13, no client certificates, server cipher order", () => {
    const tls = parsed("tls_server_config:\n  cert_file: a.crt\n  key_file: a.key\n").tls!;
    expect([tls.minVersion, tls.maxVersion, tls.clientAuthType, tls.preferServerCipherSuites]).toEqual([
      "TLS12",
      "TLS13",
      "NoClientCert",
      true,
    ]);
    expect(tls.clientAllowedSans).toBeUndefined();
    expect(tls.cipherSuites).toEqual([]);
    expect(tls.curvePreferences).toEqual([]);
  });

  it("inline cert, key and client_ca; a file given too wins, as in the toolkit", () => {
    const inline = parsed(
      `tls_server_config:\n  cert: |\n    -----BEGIN CERTIFICATE-----\n    abc\n    -----END CERTIFICATE-----\n  key: |\n    ${INLINE_KEY}\n  client_ca: "ca text"\n  client_auth_type: VerifyClientCertIfGiven\n`,
    ).tls!;
    expect(inline.cert).toContain("BEGIN CERTIFICATE");
    expect(inline.key).toContain("BEGIN PRIVATE KEY");
    expect(inline.clientCa).toBe("ca text");
    const both = parsed("tls_server_config:\n  cert: x\n  cert_file: c.pem\n  key: y\n  key_file: k.pem\n").tls!;
    expect(both.certFile).toBe("/etc/runner/c.pem");
    expect(both.keyFile).toBe("/etc/runner/k.pem");
  });

  it.each([
    ["NoClientCert", "NoClientCert"],
    ["RequestClientCert", "RequestClientCert"],
    ["RequireAnyClientCert", "RequireAnyClientCert"],
    ["RequireClientCert", "RequireAnyClientCert"],
    ["VerifyClientCertIfGiven", "VerifyClientCertIfGiven"],
    ["RequireAndVerifyClientCert", "RequireAndVerifyClientCert"],
  ])("client_auth_type %s", (given, meant) => {
    expect(parsed(`tls_server_config:\n  cert_file: c\n  key_file: k\n  client_auth_type: ${given}\n`).tls!.clientAuthType).toBe(meant);
  });

  it("client_auth_type alone turns TLS on (and then asks for the certificate); versions, ciphers and curves alone do not", () => {
    expect(rejection("tls_server_config:\n  client_auth_type: RequestClientCert\n").key).toBe("tls_server_config");
    expect(
      parsed("tls_server_config:\n  min_version: TLS13\n  cipher_suites: [TLS_AES_128_GCM_SHA256]\n  curve_preferences: [X25519]\n").tls,
    ).toBeUndefined();
  });

  it("reads YAML as Go's yaml.v2: 1.1 booleans, any scalar into a text field, anchors and aliases", () => {
    const c = parsed(
      "x: &cert 123\ntls_server_config:\n  cert_file: 123\n  key_file: yes\n  prefer_server_cipher_suites: no\nhttp_server_config:\n  http2: off\n".replace(
        "x: &cert 123\n",
        "",
      ),
    );
    expect(c.tls!.certFile).toBe("/etc/runner/123");
    expect(c.tls!.keyFile).toBe("/etc/runner/yes");
    expect(c.tls!.preferServerCipherSuites).toBe(false);
    expect(c.http2).toBe(false);
    const aliased = parsed(`tls_server_config: &t\n  cert_file: c\n  key_file: k\nbasic_auth_users:\n  alice: &h "${HASH}"\n  bob: *h\n`);
    expect(aliased.users.get("bob")).toBe(HASH);
  });

  it("http_server_config: the five headers the toolkit allows; a blank one is unset", () => {
    const c = parsed(`
http_server_config:
  http2: false
  headers:
    Content-Security-Policy: "default-src 'self'"
    X-Frame-Options: sameorigin
    X-Content-Type-Options: nosniff
    X-XSS-Protection: "1; mode=block"
    Strict-Transport-Security: ""
`);
    expect(Object.fromEntries(c.headers)).toEqual({
      "Content-Security-Policy": "default-src 'self'",
      "X-Frame-Options": "sameorigin",
      "X-Content-Type-Options": "nosniff",
      "X-XSS-Protection": "1; mode=block",
    });
    expect(c.http2).toBe(false);
  });

  it("basic_auth_users: user names to bcrypt hashes ($2a$, $2b$, $2y$)", () => {
    const c = parsed(
      `basic_auth_users:\n  alice: ${HASH}\n  bob: "${HASH.replace("$2y$", "$2a$")}"\n  "1234": ${HASH.replace("$2y$10", "$2b$04")}\n`,
    );
    expect([...c.users.keys()]).toEqual(["alice", "bob", "1234"]);
    expect(c.users.get("alice")).toBe(HASH);
  });

  it("rate_limit: a Go duration and a burst; interval 0 or none turns it off", () => {
    expect(parsed("rate_limit:\n  interval: 1m30s\n  burst: 5\n").rateLimit).toEqual({ intervalMs: 90_000, burst: 5 });
    expect(parsed("rate_limit:\n  interval: 250ms\n  burst: 1\n").rateLimit).toEqual({ intervalMs: 250, burst: 1 });
    expect(parsed("rate_limit:\n  interval: 1000000000\n  burst: 2\n").rateLimit).toEqual({ intervalMs: 1000, burst: 2 });
    expect(parsed("rate_limit:\n  interval: 0\n  burst: 0\n").rateLimit).toBeUndefined();
    expect(parsed("rate_limit:\n  burst: 3\n").rateLimit).toBeUndefined();
  });
});

describe("a web configuration file that cannot be used: one message naming the key and what it accepts, never a secret", () => {
  const cases: [string, string, string, RegExp][] = [
    ["bad YAML", `basic_auth_users:\n  alice: ${HASH}\n    bob: x\n`, "", /^not valid YAML at line \d+, column \d+: \w/],
    [
      "a duplicate key",
      `basic_auth_users:\n  alice: ${HASH}\n  alice: ${HASH}\n`,
      "basic_auth_users",
      /^basic_auth_users \(line 3\): duplicate key "alice"$/,
    ],
    ["two documents", "tls_server_config:\n---\nrate_limit:\n", "", /^not valid YAML at line 2/],
    [
      "YAML whose message ends in a bracket",
      "rate_limit: [1, 2\n",
      "",
      /^not valid YAML at line 2, column 1: Flow sequence in block collection must be sufficiently indented and end with a \] \(BAD_INDENT\)$/,
    ],
    [
      "YAML whose error quotes a hash",
      `basic_auth_users:\n  alice: |${HASH}\n`,
      "",
      /^not valid YAML at line 2, column \d+: Block scalar header includes extra characters \(\w+\)$/,
    ],
    [
      "YAML whose error quotes an escape",
      `basic_auth_users:\n  alice: "${HASH}\\q"\n`,
      "",
      /^not valid YAML at line 2, column \d+: Invalid escape sequence \(BAD_DQ_ESCAPE\)$/,
    ],
    ["a hash written as a user name", `basic_auth_users:\n  "${HASH}":\n`, "basic_auth_users.(not shown)", /expected a bcrypt hash/],
    [
      "a list at the top",
      "- tls_server_config\n",
      "top level",
      /expected a mapping of tls_server_config, http_server_config, basic_auth_users, rate_limit/,
    ],
    [
      "an unknown key at the top",
      "tls_config:\n  cert_file: x\n",
      "top level",
      /unknown key "tls_config": expected one of tls_server_config, http_server_config, basic_auth_users, rate_limit/,
    ],
    ["an unknown key that could be a secret", `${HASH}: x\n`, "top level", /unknown key \(not shown\)/],
    [
      "an unknown key in tls_server_config",
      "tls_server_config:\n  certfile: x\n",
      "tls_server_config",
      /unknown key "certfile": expected one of cert, key, client_ca, cert_file, key_file, client_auth_type, client_ca_file/,
    ],
    [
      "an unknown key in http_server_config",
      "http_server_config:\n  http3: true\n",
      "http_server_config",
      /unknown key "http3": expected one of http2, headers/,
    ],
    ["an unknown key in rate_limit", "rate_limit:\n  rate: 1\n", "rate_limit", /unknown key "rate": expected one of interval, burst/],
    ["tls_server_config not a mapping", "tls_server_config: on\n", "tls_server_config", /expected a mapping/],
    ["basic_auth_users a list", `basic_auth_users:\n  - ${HASH}\n`, "basic_auth_users", /expected a mapping$/],
    [
      "a list for cert_file",
      "tls_server_config:\n  cert_file: [a, b]\n  key_file: k\n",
      "tls_server_config.cert_file",
      /expected a single value/,
    ],
    [
      "a text for cipher_suites",
      "tls_server_config:\n  cipher_suites: TLS_AES_128_GCM_SHA256\n",
      "tls_server_config.cipher_suites",
      /expected a list/,
    ],
    [
      "a mapping in client_allowed_sans",
      "tls_server_config:\n  client_allowed_sans: [{a: b}]\n",
      "tls_server_config.client_allowed_sans[0]",
      /expected a single value/,
    ],
    [
      "a text for prefer_server_cipher_suites",
      "tls_server_config:\n  prefer_server_cipher_suites: maybe\n",
      "tls_server_config.prefer_server_cipher_suites",
      /expected true or false/,
    ],
    ["a text for http2", "http_server_config:\n  http2: sometimes\n", "http_server_config.http2", /expected true or false/],
    [
      "an unknown client_auth_type",
      "tls_server_config:\n  cert_file: c\n  key_file: k\n  client_auth_type: RequireCert\n",
      "tls_server_config.client_auth_type",
      /expected one of NoClientCert, RequestClientCert, RequireAnyClientCert, VerifyClientCertIfGiven, RequireAndVerifyClientCert, got "RequireCert"/,
    ],
    [
      "an unknown min_version",
      "tls_server_config:\n  min_version: TLS14\n",
      "tls_server_config.min_version",
      /expected one of TLS10, TLS11, TLS12, TLS13, got "TLS14"/,
    ],
    [
      "an unknown max_version",
      "tls_server_config:\n  max_version: 1.3\n",
      "tls_server_config.max_version",
      /expected one of TLS10, TLS11, TLS12, TLS13, got "1.3"/,
    ],
    [
      "max_version below min_version",
      "tls_server_config:\n  cert_file: c\n  key_file: k\n  min_version: TLS13\n  max_version: TLS12\n",
      "tls_server_config.max_version",
      /no lower than min_version TLS13/,
    ],
    [
      "an unknown cipher suite",
      "tls_server_config:\n  cipher_suites: [TLS_RSA_WITH_RC4_128_SHA]\n",
      "tls_server_config.cipher_suites",
      /expected a cipher suite of Go's tls.CipherSuites\(\).*"TLS_RSA_WITH_RC4_128_SHA" is not one/,
    ],
    [
      "an unknown curve",
      "tls_server_config:\n  curve_preferences: [P-256]\n",
      "tls_server_config.curve_preferences",
      /expected one of CurveP256, CurveP384, CurveP521, X25519.*"P-256" is not one/,
    ],
    ["no certificate", "tls_server_config:\n  key_file: k\n", "tls_server_config", /certificate is missing: expected cert_file \(or cert/],
    [
      "no key",
      `tls_server_config:\n  cert_file: c\n  key: ""\n`,
      "tls_server_config",
      /private key is missing: expected key_file \(or key/,
    ],
    [
      "a client CA without client_auth_type",
      "tls_server_config:\n  cert_file: c\n  key_file: k\n  client_ca_file: ca.pem\n",
      "tls_server_config.client_auth_type",
      /client_ca_file \(or client_ca\) is set, so expected a client_auth_type/,
    ],
    [
      "client_allowed_sans with an optional certificate",
      "tls_server_config:\n  cert_file: c\n  key_file: k\n  client_auth_type: VerifyClientCertIfGiven\n  client_allowed_sans: [a]\n",
      "tls_server_config.client_allowed_sans",
      /needs client_auth_type RequireAnyClientCert or RequireAndVerifyClientCert/,
    ],
    [
      "a header the toolkit does not allow",
      "http_server_config:\n  headers:\n    Server: x\n",
      "http_server_config.headers",
      /unknown key "Server": expected one of Strict-Transport-Security, X-Content-Type-Options, X-Frame-Options, X-XSS-Protection, Content-Security-Policy/,
    ],
    [
      "a bad X-Frame-Options",
      "http_server_config:\n  headers:\n    X-Frame-Options: allow\n",
      "http_server_config.headers.X-Frame-Options",
      /expected deny or sameorigin, got "allow"/,
    ],
    [
      "a bad X-Content-Type-Options",
      "http_server_config:\n  headers:\n    X-Content-Type-Options: NoSniff\n",
      "http_server_config.headers.X-Content-Type-Options",
      /expected nosniff, got "NoSniff"/,
    ],
    [
      "a header value with a line break",
      'http_server_config:\n  headers:\n    Content-Security-Policy: "a\\r\\nSet-Cookie: x"\n',
      "http_server_config.headers.Content-Security-Policy",
      /without control characters/,
    ],
    [
      "a password instead of a hash",
      "basic_auth_users:\n  alice: hunter2\n",
      "basic_auth_users.alice",
      /expected a bcrypt hash \(\$2a\$, \$2b\$ or \$2y\$, a cost from 04 to 31, 60 characters\) \(value not shown: 7 characters\)/,
    ],
    [
      "a hash of another kind",
      `basic_auth_users:\n  alice: "${HASH.replace("$2y$", "$2x$")}"\n`,
      "basic_auth_users.alice",
      /expected a bcrypt hash.*value not shown: 60 characters/,
    ],
    [
      "a bcrypt cost out of range",
      `basic_auth_users:\n  alice: "${HASH.replace("$10$", "$32$")}"\n`,
      "basic_auth_users.alice",
      /expected a bcrypt hash/,
    ],
    [
      "a user without a hash",
      "basic_auth_users:\n  alice:\n",
      "basic_auth_users.alice",
      /expected a bcrypt hash.*value not shown: 0 characters/,
    ],
    [
      "a bad interval",
      "rate_limit:\n  interval: 1 second\n  burst: 1\n",
      "rate_limit.interval",
      /expected a duration such as 1s, 500ms or 1m30s \(0: no limit\), got "1 second"/,
    ],
    ["a negative interval", "rate_limit:\n  interval: -1s\n  burst: 1\n", "rate_limit.interval", /expected a duration/],
    [
      "a burst of 0 with an interval",
      "rate_limit:\n  interval: 1s\n  burst: 0\n",
      "rate_limit.burst",
      /expected an integer of at least 1 when rate_limit.interval is set/,
    ],
    ["a burst that is not a number", "rate_limit:\n  interval: 1s\n  burst: many\n", "rate_limit.burst", /expected a whole number/],
  ];

  it.each(cases)("%s", (_what, text, key, message) => {
    const error = rejection(text);
    expect(error.key).toBe(key);
    expect(error.message).toMatch(message);
    if (key !== "") expect(error.message.startsWith(`${key} (line `)).toBe(true);
    expect(error.message).not.toContain("\n");
    for (const secret of SECRETS) expect(error.message).not.toContain(secret);
  });

  it("an inline key is never shown, even when the error is on its line", () => {
    for (const text of [
      `tls_server_config:\n  key: ${INLINE_KEY.split("\n")[1]!.trim()}\n   bad: [\n`,
      `tls_server_config:\n  key: [${INLINE_KEY.split("\n")[1]!.trim()}]\n  cert_file: c\n`,
    ]) {
      const error = rejection(text);
      for (const secret of SECRETS) expect(error.message).not.toContain(secret);
    }
  });

  it("says on which line the value at fault is", () => {
    expect(rejection("# comment\n\ntls_server_config:\n  cert_file: c\n  key_file: k\n  min_version: TLS9\n").line).toBe(6);
  });
});
