// The one helpers module of the tests: paths, a supervisor started from the build and followed,
// scrapes parsed by the official Prometheus parser, fake runners driven by a script, the small
// things every suite needs (a free port, waiting for a condition, a process's children,
// temporary directories), and for web configuration files: certificates made with openssl,
// bcrypt hashes made with htpasswd, and a GET over TLS.
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { request as httpsRequest, type Agent as HttpsAgent } from "node:https";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
export const BIN = join(ROOT, "bin", "runner-supervisor.js");
export const FIXTURES = join(ROOT, "test", "fixtures");
/** The built bcrypt worker thread's script (npm test builds before it runs the suites). */
export const PASSWORD_WORKER = join(ROOT, "dist", "http", "web-config", "bcrypt-worker.js");

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** A running supervisor started from the built bin, with its output collected. */
export interface Running {
  proc: ChildProcess;
  /** Resolves with the port once the endpoint logged it (rejects if the process exits first). */
  port: Promise<number>;
  stdout(): Buffer;
  stderr(): string;
  exit: Promise<Exit>;
  /** GET a path of the endpoint. */
  get(path: string, headers?: Record<string, string>): Promise<Response>;
  /** Scrape /metrics and parse it. */
  metrics(): Promise<Samples>;
  /** Waits until the predicate holds on a scrape, polling. */
  waitFor(predicate: (s: Samples) => boolean, timeoutMs?: number): Promise<Samples>;
}

export interface StartOptions {
  args?: string[];
  env?: Record<string, string | undefined>;
  /** Defaults to the fixtures directory. */
  runnerHome?: string;
  /** Command after `--`; none runs ./run.sh in runnerHome. */
  command?: string[];
  node?: string;
  bin?: string;
}

/** Follows a started supervisor: its exit, its stderr, and the port it says it serves metrics on. */
export function followSupervisor(proc: ChildProcess): { exit: Promise<Exit>; port: Promise<number>; stderr: () => string } {
  let err = "";
  const exit = new Promise<Exit>((resolve) => proc.once("exit", (code, signal) => resolve({ code, signal })));
  const port = new Promise<number>((resolve, reject) => {
    proc.stderr!.on("data", (c: Buffer) => {
      err += c.toString("utf8");
      const m = /serving metrics on https?:\/\/\S+:(\d+)\/metrics/.exec(err);
      if (m) resolve(Number(m[1]));
    });
    void exit.then(() => reject(new Error(`supervisor exited before serving metrics; stderr:\n${err}`)));
  });
  port.catch(() => undefined);
  return { exit, port, stderr: () => err };
}

/** Stops a supervisor that still runs: SIGTERM, then SIGKILL if it has not exited within 5 s. */
export async function stopSupervisor(running: Running | undefined): Promise<void> {
  if (!running || running.proc.exitCode !== null || running.proc.signalCode !== null) return;
  running.proc.kill("SIGTERM");
  const timer = setTimeout(() => running.proc.kill("SIGKILL"), 5_000);
  await running.exit;
  clearTimeout(timer);
}

const started = new Set<Running>();

/** Stops every supervisor started by startSupervisor that still runs (for afterEach). */
export async function stopAll(): Promise<void> {
  await Promise.all([...started].map((s) => stopSupervisor(s)));
}

/** Starts the built supervisor on a free port (METRICS_PORT=0). */
export function startSupervisor(options: StartOptions = {}): Running {
  const args = [options.bin ?? BIN, ...(options.args ?? [])];
  if (options.command) args.push("--", ...options.command);
  const env: Record<string, string | undefined> = {
    ...process.env,
    RUNNER_HOME: options.runnerHome ?? FIXTURES,
    RUNNER_NAME: "test-runner",
    METRICS_PORT: "0",
    METRICS_HOST: "127.0.0.1",
    ...options.env,
  };
  for (const key of Object.keys(env)) if (env[key] === undefined) delete env[key];
  const proc = spawn(options.node ?? process.execPath, args, { env, stdio: ["ignore", "pipe", "pipe"] });
  const out: Buffer[] = [];
  proc.stdout.on("data", (c: Buffer) => out.push(c));
  const { exit, port, stderr } = followSupervisor(proc);
  const get = async (path: string, headers: Record<string, string> = {}) => fetch(`http://127.0.0.1:${await port}${path}`, { headers });
  const metrics = async () => parseSamples(await (await get("/metrics")).text());
  const running: Running = {
    proc,
    port,
    stdout: () => Buffer.concat(out),
    stderr,
    exit,
    get,
    metrics,
    waitFor: async (predicate, timeoutMs = 10_000) => {
      const deadline = Date.now() + timeoutMs;
      let last: Samples | undefined;
      while (Date.now() < deadline) {
        last = await metrics();
        if (predicate(last)) return last;
        await new Promise((r) => setTimeout(r, 50));
      }
      throw new Error(`condition not met within ${timeoutMs} ms; last scrape:\n${JSON.stringify(last?.all, null, 1)}`);
    },
  };
  started.add(running);
  void exit.then(() => started.delete(running));
  return running;
}

interface Family {
  name: string;
  type: string;
  help: string;
  samples: { name: string; labels: Record<string, string>; value: number | string }[];
}

/** A parsed exposition with a lookup by sample name and labels. */
export interface Samples {
  all: Family[];
  /** The value of one sample (e.g. name_count, name_bucket with le), or undefined when absent. */
  value(name: string, labels?: Record<string, string>): number | undefined;
  /** Whether a family or a sample of that name is present. */
  has(name: string): boolean;
}

const PARSER = join(ROOT, "test", "helpers", "parse-exposition.py");

/**
 * Parses an exposition with the official Prometheus Python client's parser (Debian package
 * python3-prometheus-client), not with code of ours. Throws on a parse error.
 */
export function parseSamples(text: string, format: "text" | "openmetrics" = "text"): Samples {
  const run = spawnSync("/usr/bin/python3", [PARSER, format], { input: text, encoding: "utf8", maxBuffer: 64 * 1024 * 1024 });
  if (run.status !== 0) throw new Error(`exposition does not parse (${format}): ${run.stderr}`);
  const all = JSON.parse(run.stdout) as Family[];
  const samples = all.flatMap((f) => f.samples);
  const matches = (have: Record<string, string>, want: Record<string, string>) => Object.entries(want).every(([k, v]) => have[k] === v);
  return {
    all,
    value: (name, labels = {}) => {
      const found = samples.find((s) => s.name === name && matches(s.labels, labels));
      return found === undefined ? undefined : Number(found.value);
    },
    has: (name) => all.some((f) => f.name === name) || samples.some((s) => s.name === name),
  };
}

/** One step of a fake runner (test/fixtures/scripted-runner.mjs). */
export type Step =
  | { out: string }
  | { err: string }
  | { raw: string }
  | { sleep: number }
  | { exit: number }
  | { kill: NodeJS.Signals }
  | { waitForFile: string };

/** The command and environment that make scripted-runner.mjs the child. */
export function scripted(steps: Step[]): { command: string[]; env: Record<string, string> } {
  return { command: [process.execPath, join(FIXTURES, "scripted-runner.mjs")], env: { FAKE_SCRIPT: JSON.stringify(steps) } };
}

/** A job as the runner prints it: started, `seconds` later completed with a result. */
export const job = (name: string, result: string, seconds: number): Step[] => [
  { out: `{ts}: Running job: ${name}` },
  { sleep: seconds },
  { out: `{ts}: Job ${name} completed with result: ${result}` },
];

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Polls a condition every 25 ms, at most timeoutMs; throws with `what` when it never holds. */
export async function until(condition: () => boolean, timeoutMs = 10_000, what = "condition"): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`${what} not met within ${timeoutMs} ms`);
    await sleep(25);
  }
}

/** A TCP port free on 127.0.0.1 right now (for servers that cannot pick their own). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

/** The child pids of a process, from /proc. */
export function childrenOf(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, "utf8").trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

/** A process's state letter (R, S, Z, ...) from /proc, or undefined when it is gone. */
export function stateOf(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // The state follows the command name, which is in parentheses and may contain spaces.
    return stat.slice(stat.lastIndexOf(")") + 2)[0];
  } catch {
    return undefined;
  }
}

const temps: string[] = [];
/** A fresh temporary directory, removed by removeTempDirs(). */
export function tempDir(prefix = "rs-test-"): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  temps.push(dir);
  return dir;
}
export function removeTempDirs(): void {
  for (const dir of temps.splice(0)) rmSync(dir, { recursive: true, force: true });
}

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
  openssl(dir, ["x509", "-req", "-in", `${name}.csr`, "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial", "-out", `${name}.pem`, "-days", "2", "-extfile", `${name}.ext`]);
  return { cert: join(dir, `${name}.pem`), key: join(dir, `${name}.key`) };
}

/** The extensions of a server certificate for 127.0.0.1 (and localhost). */
export const SERVER_EXTENSIONS = "subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n";

/** Makes a CA, a server certificate for 127.0.0.1 and client certificates with the openssl CLI, in `dir`. */
export function makeCertificates(dir: string): TestCertificates {
  openssl(dir, ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.pem", "-days", "2", "-subj", "/CN=test CA"]);
  signCertificate(dir, "server", "/CN=127.0.0.1", SERVER_EXTENSIONS);
  signCertificate(dir, "client", "/CN=prometheus", "subjectAltName=DNS:prometheus.test,URI:spiffe://test/prometheus\nextendedKeyUsage=clientAuth\n");
  openssl(dir, ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "stranger.key", "-out", "stranger.pem", "-days", "2", "-subj", "/CN=stranger", "-addext", "extendedKeyUsage=clientAuth"]);
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

/** A bcrypt hash of a password as the exporter toolkit's docs make one: Apache's htpasswd -B ($2y$). */
export function bcryptHash(password: string, cost = 10): string {
  const r = spawnSync("htpasswd", ["-nbBC", String(cost), "", password], { encoding: "utf8" });
  if (r.status !== 0) throw new Error(`htpasswd failed (is apache2-utils installed? bash test/setup/ensure-tools.sh): ${r.stderr}`);
  return r.stdout.trim().replace(/^:/, "");
}

/** An answer of the endpoint over TLS. */
export interface TlsAnswer {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: string;
}

export interface TlsGetOptions {
  /** The CA file the server's certificate is checked against. */
  readonly ca: string;
  readonly user?: string;
  readonly password?: string;
  /** A client certificate and its key (files). */
  readonly cert?: string;
  readonly key?: string;
  /** A keep-alive agent to reuse a connection; without, a connection of its own. */
  readonly agent?: HttpsAgent;
}

/** GET https://127.0.0.1:port/path, verifying the server against `ca`; rejects when the connection fails. */
export function httpsGet(port: number, path: string, o: TlsGetOptions): Promise<TlsAnswer> {
  return new Promise((resolve, reject) => {
    const req = httpsRequest(
      {
        host: "127.0.0.1",
        port,
        path,
        ca: readFileSync(o.ca),
        ...(o.cert && o.key ? { cert: readFileSync(o.cert), key: readFileSync(o.key) } : {}),
        ...(o.user !== undefined ? { auth: `${o.user}:${o.password ?? ""}` } : {}),
        agent: o.agent ?? false,
        timeout: 10_000,
      },
      (res) => {
        let body = "";
        res.on("data", (c: Buffer) => (body += c.toString("utf8")));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      },
    );
    req.on("timeout", () => req.destroy(new Error("timed out")));
    req.on("error", reject);
    req.end();
  });
}
