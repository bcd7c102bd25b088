// WEB_CONFIG_FILE end to end: the built supervisor with a web configuration file as node_exporter
// reads it, certificates made by openssl and hashes by htpasswd, scraped by a real Prometheus over
// TLS with basic auth and with client certificates; the loopback's plain /health; certificate
// rotation; the password checker's thread; and files that stop start-up.
import { copyFileSync, existsSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { connect } from "node:net";
import { connect as tlsConnect } from "node:tls";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { PrometheusServer } from "../dashboard/prometheus-server.js";
import {
  bcryptHash,
  httpsGet,
  job,
  makeCertificates,
  removeTempDirs,
  ROOT,
  scripted,
  SERVER_EXTENSIONS,
  signCertificate,
  sleep,
  startSupervisor,
  stopSupervisor,
  tempDir,
  until,
  type Running,
  type TestCertificates,
} from "../../helpers/index.js";

const PASSWORD = "correct horse battery staple";
const LABELS = { runner_name: "test-runner" };

let certs: TestCertificates;
let dir: string;
let hash: string;
/** TLS and basic auth, with a header; scraped by Prometheus. */
let withAuth: Running;
/** TLS asking for client certificates verified against the test CA. */
let withClientCerts: Running;
let prometheus: PrometheusServer;

/** A web configuration file in the certificates' directory (relative paths as operators write them). */
function webConfig(name: string, text: string): string {
  const path = join(certs.dir, name);
  writeFileSync(path, text);
  return path;
}

/** A runner that has run one successful job and then idles. */
function idleRunner() {
  return scripted([
    { out: "Current runner version: '2.336.0'" },
    { out: "{ts}: Listening for Jobs" },
    ...job("build", "Succeeded", 0.05),
    { sleep: 300 },
  ]);
}

function startWith(file: string, extraEnv: Record<string, string> = {}): Running {
  const { command, env } = idleRunner();
  return startSupervisor({ command, env: { ...env, WEB_CONFIG_FILE: file, ...extraEnv } });
}

interface Target {
  labels: { job: string };
  health: string;
  lastError: string;
}

async function targets(): Promise<Map<string, Target>> {
  const answer = (await (await fetch(`${prometheus.url}/api/v1/targets`)).json()) as { data: { activeTargets: Target[] } };
  return new Map(answer.data.activeTargets.map((t) => [t.labels.job, t]));
}

beforeAll(async () => {
  dir = tempDir("web-config-e2e-");
  certs = makeCertificates(dir);
  hash = bcryptHash(PASSWORD);
  withAuth = startWith(
    webConfig(
      "auth.yml",
      `tls_server_config:\n  cert_file: server.pem\n  key_file: server.key\nhttp_server_config:\n  headers:\n    X-Content-Type-Options: nosniff\nbasic_auth_users:\n  prometheus: ${hash}\n`,
    ),
  );
  withClientCerts = startWith(
    webConfig(
      "client-certs.yml",
      "tls_server_config:\n  cert_file: server.pem\n  key_file: server.key\n  client_ca_file: ca.pem\n  client_auth_type: RequireAndVerifyClientCert\n",
    ),
  );
  const [authPort, certPort] = await Promise.all([withAuth.port, withClientCerts.port]);
  const passwordFile = join(dir, "password");
  writeFileSync(passwordFile, PASSWORD);
  // The guide's example job, as documented, pointed at the test's CA, password file and runner.
  const example = parse(readFileSync(join(ROOT, "compose", "prometheus", "examples", "https.yml"), "utf8")) as {
    scrape_configs: Record<string, Record<string, unknown>>[];
  };
  const documented = example.scrape_configs[0]!;
  const targets = (port: number) => [{ targets: [`127.0.0.1:${port}`] }];
  const tls = { ca_file: certs.caCert };
  const jobs = [
    {
      ...documented,
      job_name: "authorized",
      tls_config: { ...documented.tls_config, ...tls },
      basic_auth: { ...documented.basic_auth, password_file: passwordFile },
      static_configs: targets(authPort),
    },
    { job_name: "no_credentials", scheme: "https", tls_config: tls, static_configs: targets(authPort) },
    {
      job_name: "wrong_password",
      scrape_interval: "5s",
      scrape_timeout: "4s",
      scheme: "https",
      tls_config: tls,
      basic_auth: { username: "prometheus", password: "guess" },
      static_configs: targets(authPort),
    },
    { job_name: "plain_http", static_configs: targets(authPort) },
    {
      job_name: "client_cert",
      scheme: "https",
      tls_config: { ...tls, cert_file: certs.clientCert, key_file: certs.clientKey },
      static_configs: targets(certPort),
    },
    { job_name: "no_client_cert", scheme: "https", tls_config: tls, static_configs: targets(certPort) },
  ];
  const config = join(dir, "prometheus.yml");
  writeFileSync(config, JSON.stringify({ global: { scrape_interval: "1s", scrape_timeout: "900ms" }, scrape_configs: jobs }));
  prometheus = await PrometheusServer.start(config, dir);
}, 60_000);

afterAll(async () => {
  await prometheus.stop();
  await stopSupervisor(withAuth);
  await stopSupervisor(withClientCerts);
  removeTempDirs();
});

describe("a real Prometheus scraping an endpoint protected by a web configuration file", () => {
  it("over TLS with basic auth and the CA, as the guide's example job: up=1, with the runner's metrics", async () => {
    expect(withAuth.stderr()).toMatch(
      /serving metrics on https:\/\/127\.0\.0\.1:\d+\/metrics \(listening on 127\.0\.0\.1 only, port \d+; web config \S+auth\.yml: TLS, basic auth for 1 user\)/,
    );
    await prometheus.waitFor('up{job="authorized"}', (r) => r[0]?.value === 1, 20_000);
    await prometheus.waitFor('github_runner_jobs_total{job="authorized", status="success"}', (r) => r[0]?.value === 1, 10_000);
    const [info] = await prometheus.query('github_runner_info{job="authorized"}', Date.now() / 1000);
    expect(info!.metric).toMatchObject({ ...LABELS, version: "2.336.0" });
  });

  it("without credentials or with a wrong password: up=0, refused with 401; over plain HTTP: up=0, refused with 400", async () => {
    for (const name of ["no_credentials", "wrong_password", "plain_http"])
      await prometheus.waitFor(`up{job="${name}"}`, (r) => r[0]?.value === 0, 20_000);
    const t = await targets();
    expect(t.get("no_credentials")!.lastError).toMatch(/401 Unauthorized/);
    expect(t.get("wrong_password")!.lastError).toMatch(/401 Unauthorized/);
    expect(t.get("plain_http")!.lastError).toMatch(/400 Bad Request/);
    expect(await prometheus.query('github_runner_jobs_total{job=~"no_credentials|wrong_password|plain_http"}', Date.now() / 1000)).toEqual(
      [],
    );
  });

  it("client_auth_type RequireAndVerifyClientCert: with the client certificate up=1, without it up=0", async () => {
    await prometheus.waitFor('up{job="client_cert"}', (r) => r[0]?.value === 1, 20_000);
    await prometheus.waitFor('up{job="no_client_cert"}', (r) => r[0]?.value === 0, 20_000);
    await prometheus.waitFor('github_runner_jobs_total{job="client_cert", status="success"}', (r) => r[0]?.value === 1, 10_000);
    expect((await targets()).get("no_client_cert")!.lastError).toMatch(/certificate|tls|EOF|reset/i);
  });
});

describe("the endpoint's answers with a web configuration file", () => {
  it("a plain-HTTP GET /health from the loopback is answered, without TLS or credentials (the image's HEALTHCHECK)", async () => {
    const port = await withAuth.port;
    const health = await fetch(`http://127.0.0.1:${port}/health`);
    expect(health.status).toBe(200);
    expect(await health.text()).toBe("OK");
  });

  it("plain HTTP for anything else gets 400 saying to use https, and the connection closes", async () => {
    const port = await withAuth.port;
    const answer = await new Promise<string>((resolve) => {
      let got = "";
      const s = connect(port, "127.0.0.1", () =>
        s.write("GET /metrics HTTP/1.1\r\nHost: x\r\n\r\nGET /health HTTP/1.1\r\nHost: x\r\n\r\n"),
      );
      s.on("data", (c: Buffer) => (got += c.toString()));
      s.on("close", () => resolve(got));
    });
    expect(answer).toMatch(/^HTTP\/1\.1 400 Bad Request\r\n/);
    expect(answer).toMatch(/\r\nConnection: close\r\n/i);
    expect(answer).toContain("use https://");
    // The second request on the connection was never answered: it closed.
    expect(answer.match(/HTTP\/1\.1 /g)).toHaveLength(1);
    for (const path of ["/", "/metrics?x=/health", "/health/"]) expect((await fetch(`http://127.0.0.1:${port}${path}`)).status).toBe(400);
  });

  it("over TLS every path needs credentials, /health too: 401 with WWW-Authenticate: Basic; the right ones get 200; every answer carries the configured header", async () => {
    const port = await withAuth.port;
    for (const path of ["/metrics", "/health", "/"]) {
      const refused = await httpsGet(port, path, { ca: certs.caCert });
      expect(refused.status).toBe(401);
      expect(refused.headers["www-authenticate"]).toBe("Basic");
      expect(refused.headers["x-content-type-options"]).toBe("nosniff");
    }
    const ok = await httpsGet(port, "/metrics", { ca: certs.caCert, user: "prometheus", password: PASSWORD });
    expect(ok.status).toBe(200);
    expect(ok.headers["x-content-type-options"]).toBe("nosniff");
    expect(ok.body).toContain("github_runner_jobs_total");
    expect((await httpsGet(port, "/health", { ca: certs.caCert, user: "prometheus", password: PASSWORD })).body).toBe("OK");
  });
});

describe("while it runs", () => {
  let s: Running;
  let file: string;
  beforeAll(async () => {
    // A copy of the certificates, replaced in place as a rotation does.
    for (const f of ["server.pem", "server.key"]) copyFileSync(join(certs.dir, f), join(certs.dir, `rotating-${f}`));
    file = webConfig(
      "rotating.yml",
      `tls_server_config:\n  cert_file: rotating-server.pem\n  key_file: rotating-server.key\nbasic_auth_users:\n  prometheus: ${hash}\n`,
    );
    s = startWith(file);
    await s.port;
  });
  afterAll(() => stopSupervisor(s));

  /** The threads of the supervisor's process. */
  const threads = () => Number(/^Threads:\s+(\d+)$/m.exec(readFileSync(`/proc/${s.proc.pid}/status`, "utf8"))![1]);

  it("checks passwords on a thread started for the first check and ended when idle", async () => {
    const port = await s.port;
    await sleep(500);
    const before = threads();
    expect((await httpsGet(port, "/metrics", { ca: certs.caCert, user: "prometheus", password: PASSWORD })).status).toBe(200);
    expect(threads()).toBeGreaterThan(before);
    // Cached now: no check, and the thread is left to end.
    expect((await httpsGet(port, "/metrics", { ca: certs.caCert, user: "prometheus", password: PASSWORD })).status).toBe(200);
    await until(() => threads() === before, 30_000, "the checker's thread ending when idle");
  }, 40_000);

  it("lets a user added to the file in within seconds, without a restart", async () => {
    const port = await s.port;
    const asBob = () => httpsGet(port, "/metrics", { ca: certs.caCert, user: "bob", password: "bob's password" }).then((a) => a.status);
    expect(await asBob()).toBe(401);
    writeFileSync(file, `${readFileSync(file, "utf8")}  bob: ${bcryptHash("bob's password", 4)}\n`);
    let status = 401;
    for (let i = 0; i < 40 && status !== 200; i++) {
      await sleep(500);
      status = await asBob();
    }
    expect(status).toBe(200);
  }, 30_000);

  it("picks up a rotated certificate for new connections within seconds; a broken one is reported once and the last good one stays", async () => {
    const port = await s.port;
    const subject = () =>
      new Promise<string | undefined>((resolve, reject) => {
        const socket = tlsConnect({ port, host: "127.0.0.1", ca: readFileSync(certs.caCert) }, () => {
          resolve(socket.getPeerX509Certificate()?.subject);
          socket.destroy();
        });
        socket.on("error", reject);
      });
    expect(await subject()).toBe("CN=127.0.0.1");
    // A new certificate from the same CA, written beside the old files and renamed over them, key first.
    const renewed = signCertificate(certs.dir, "renewed", "/CN=renewed.example", SERVER_EXTENSIONS);
    renameSync(renewed.key, join(certs.dir, "rotating-server.key"));
    renameSync(renewed.cert, join(certs.dir, "rotating-server.pem"));
    let seen: string | undefined;
    for (let i = 0; i < 80 && seen !== "CN=renewed.example"; i++) {
      seen = await subject().catch(() => undefined);
      if (seen !== "CN=renewed.example") await sleep(250);
    }
    expect(seen).toBe("CN=renewed.example");
    expect(s.stderr()).toContain(`web config reloaded from ${file}`);

    // (A check between the two renames may have seen a key without its certificate: reported, and then the pair reloaded.)
    const reports = () =>
      s
        .stderr()
        .split("\n")
        .filter((l) => l.includes("changed but cannot be used"));
    const before = reports().length;
    writeFileSync(join(certs.dir, "rotating-server.pem"), "not a certificate\n");
    await until(() => reports().length > before, 20_000, "the broken certificate reported");
    await sleep(6_000);
    expect(reports().slice(before)).toEqual([
      `runner-supervisor: web config ${file} changed but cannot be used, the previous settings stay: tls_server_config.cert_file: expected a PEM certificate (-----BEGIN CERTIFICATE-----), the server's first`,
    ]);
    expect(await subject()).toBe("CN=renewed.example");
    expect((await httpsGet(port, "/metrics", { ca: certs.caCert, user: "prometheus", password: PASSWORD })).status).toBe(200);
  }, 60_000);
});

describe("a web configuration file that cannot be used stops start-up, before the runner starts", () => {
  const cases: [string, () => string, RegExp][] = [
    [
      "a missing file",
      () => join(dir, "missing.yml"),
      /^runner-supervisor: invalid WEB_CONFIG_FILE="[^"]+missing\.yml": cannot read "[^"]+missing\.yml" \(ENOENT\)$/,
    ],
    [
      "not YAML",
      () => webConfig("bad-yaml.yml", "tls_server_config:\n  cert_file: [\n"),
      /^runner-supervisor: invalid WEB_CONFIG_FILE="[^"]+": not valid YAML at line \d+, column \d+: .+$/,
    ],
    [
      "an unknown key",
      () =>
        webConfig(
          "unknown.yml",
          "tls_server_config:\n  cert_file: server.pem\n  key_file: server.key\n  client_auth: RequireAndVerifyClientCert\n",
        ),
      /: tls_server_config \(line 4\): unknown key "client_auth": expected one of cert, key/,
    ],
    ["a wrong type", () => webConfig("type.yml", "basic_auth_users: [prometheus]\n"), /: basic_auth_users \(line 1\): expected a mapping$/],
    [
      "a key that is not the certificate's",
      () => webConfig("pair.yml", "tls_server_config:\n  cert_file: server.pem\n  key_file: stranger.key\n"),
      /: tls_server_config\.key_file: expected the private key of the certificate in cert_file; this key belongs to another$/,
    ],
    [
      "a password where a bcrypt hash belongs",
      () => webConfig("hash.yml", `basic_auth_users:\n  prometheus: ${PASSWORD}\n`),
      /: basic_auth_users\.prometheus \(line 2\): expected a bcrypt hash .* \(value not shown: 28 characters\)$/,
    ],
  ];

  it.each(cases)("%s: one line naming the file and the key, exit code 78, the runner never started", async (_what, make, message) => {
    const marker = join(dir, `started-${Math.random().toString(36).slice(2)}`);
    const s = startSupervisor({ command: ["/bin/sh", "-c", `touch ${marker}`], env: { WEB_CONFIG_FILE: make() } });
    expect((await s.exit).code).toBe(78);
    const lines = s.stderr().trimEnd().split("\n");
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(message);
    expect(lines[0]).not.toContain(PASSWORD);
    expect(existsSync(marker)).toBe(false);
  });

  it("the flag is named when the flag gave it", async () => {
    const s = startSupervisor({ args: ["--web-config-file", join(dir, "nope.yml")], command: ["true"] });
    expect((await s.exit).code).toBe(78);
    expect(s.stderr()).toMatch(/^runner-supervisor: invalid --web-config-file="[^"]+nope\.yml": cannot read/);
  });
});

describe("the runner's environment", () => {
  it("does not get WEB_CONFIG_FILE", async () => {
    const s = startSupervisor({
      command: ["/bin/sh", "-c", 'echo "web=${WEB_CONFIG_FILE:-unset}"'],
      env: { WEB_CONFIG_FILE: join(certs.dir, "auth.yml") },
    });
    expect((await s.exit).code).toBe(0);
    expect(s.stdout().toString()).toBe("web=unset\n");
  });
});
