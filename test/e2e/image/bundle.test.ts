import { spawn, spawnSync } from "node:child_process";
import {
  chmodSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  readFileSync,
  readlinkSync,
  realpathSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { builtinModules } from "node:module";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import {
  BUNDLE_FILE,
  IN_JOB_FILE,
  KOFFI_NATIVE_FILE,
  LAUNCHER_FILE,
  LICENSES_FILE,
  PARSE_WORKER_FILE,
  PASSWORD_WORKER_FILE,
  PROGRAM_FILE,
  TRACES_FILE,
  WEB_CONFIG_FILE,
} from "../../../bin/build-bundle.mjs";
import {
  buildBundle,
  IMAGE_FIXTURES,
  isolatedCopy,
  IS_ROOT,
  killAll,
  NODE20,
  NODE24,
  NODES,
  removeTemps,
  requireNode24,
  ROOT,
  runSupervisor,
  tempDir,
  zombieChildren,
  type Built,
} from "./helpers.js";
import {
  bcryptHash,
  FIXTURES,
  freePort,
  httpsGet,
  makeCertificates,
  parseSamples,
  until,
  type TestCertificates,
} from "../../helpers/index.js";

const VERSION = (JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { version: string }).version;
const LABELS = { runner_name: "image-test", runner_type: "chrome-go" };

let built: Built;
let dir: string;
const WEB_PASSWORD = "bundle password";
let web: { certs: TestCertificates; file: string };

/**
 * What a short run of the bundle loaded (Node's built-in modules and the files it required), read
 * by a preloaded script when the process exits; the runner exits at once.
 */
function loadedBy(node: string, env: Record<string, string>): { builtins: string[]; files: string[] } {
  const out = join(web.certs.dir, `loaded-${Math.random().toString(36).slice(2)}.json`);
  const preload = join(web.certs.dir, "preload.cjs");
  writeFileSync(
    preload,
    'process.on("exit", () => require("fs").writeFileSync(process.env.LOADED_OUT, JSON.stringify({ builtins: process.moduleLoadList.filter((m) => m.startsWith("NativeModule ")).map((m) => m.slice(13)), files: Object.keys(require.cache).map((f) => require("path").basename(f)) })));\n',
  );
  const r = spawnSync(node, ["--require", preload, join(dir, BUNDLE_FILE)], {
    cwd: dir,
    encoding: "utf8",
    timeout: 10_000,
    env: { PATH: process.env.PATH, RUNNER_HOME: IMAGE_FIXTURES, METRICS_PORT: "0", METRICS_HOST: "127.0.0.1", LOADED_OUT: out, ...env },
  });
  expect(r.status, r.stderr).toBe(0);
  return JSON.parse(readFileSync(out, "utf8")) as { builtins: string[]; files: string[] };
}

beforeAll(() => {
  built = buildBundle();
  dir = isolatedCopy(built);
  const certs = makeCertificates(tempDir("web"));
  const file = join(certs.dir, "web.yml");
  writeFileSync(
    file,
    `tls_server_config:\n  cert_file: server.pem\n  key_file: server.key\nbasic_auth_users:\n  prometheus: ${bcryptHash(WEB_PASSWORD)}\n`,
  );
  web = { certs, file };
});
afterEach(killAll);
afterAll(removeTemps);

describe("the build output", () => {
  it("is the first file, the program, the in-job commands, the web configuration's part and its password worker, the traces' part, the launcher and the licences, plus koffi.node exactly when the program uses koffi", () => {
    const importsKoffi = readFileSync(join(built.dir, PROGRAM_FILE), "utf8").includes(KOFFI_NATIVE_FILE);
    const expected = [
      BUNDLE_FILE,
      PROGRAM_FILE,
      IN_JOB_FILE,
      WEB_CONFIG_FILE,
      PASSWORD_WORKER_FILE,
      PARSE_WORKER_FILE,
      TRACES_FILE,
      LAUNCHER_FILE,
      LICENSES_FILE,
      ...(importsKoffi ? [KOFFI_NATIVE_FILE] : []),
    ].sort();
    expect(built.files).toEqual(expected);
    expect(readFileSync(join(built.dir, LICENSES_FILE), "utf8")).toMatch(/^prom-client@\S+ \(Apache-2\.0\)$/m);
  });

  it("keeps the first file tiny: Node runs its signal listeners before it loads anything else", () => {
    expect(statSync(join(built.dir, BUNDLE_FILE)).size).toBeLessThan(4 * 1024);
  });

  it("loads nothing from outside itself but Node's built-ins, its other files and (if present) its koffi.node", () => {
    const builtins = new Set(builtinModules.flatMap((m) => [m, `node:${m}`]));
    const own = new Set([`./${PROGRAM_FILE}`, `./${IN_JOB_FILE}`, `./${WEB_CONFIG_FILE}`, `./${TRACES_FILE}`]);
    for (const file of [BUNDLE_FILE, PROGRAM_FILE, IN_JOB_FILE, WEB_CONFIG_FILE, PASSWORD_WORKER_FILE, PARSE_WORKER_FILE, TRACES_FILE]) {
      const text = readFileSync(join(built.dir, file), "utf8");
      // A specifier is a module name or path (the SDK's messages say "... from "+stack, which is not one).
      const specifiers = [...text.matchAll(/(?:[}\s]from\s*|\bimport\s*\(\s*|\bimport\s*|require\s*\(\s*)"([\w@./:-]+)"/g)].map(
        (m) => m[1]!,
      );
      expect(specifiers.length, file).toBeGreaterThan(0);
      expect(
        [...new Set(specifiers)].filter((s) => !builtins.has(s) && !own.has(s)),
        file,
      ).toEqual([]);
    }
  });

  it("carries the version of package.json", () => {
    const r = spawnSync(NODE20, [join(dir, BUNDLE_FILE), "--version"], { cwd: dir, encoding: "utf8", timeout: 10_000 });
    expect(r.stdout.trim()).toBe(VERSION);
    expect(r.status).toBe(0);
  });
});

describe.each(NODES)("the bundle alone in an empty directory on $name", ({ name, path: node }) => {
  beforeAll(() => {
    if (name === "Node 24") requireNode24();
  });

  it("serves /metrics and /health around the runner, and exits with the runner's code after SIGTERM", async () => {
    const s = runSupervisor({ command: [node, join(dir, BUNDLE_FILE)], cwd: dir, env: { FAKE_IDLE_SECONDS: "20", FAKE_TERM_EXIT: "7" } });
    const m = await s.waitFor((m) => m.value("github_runner_jobs_total", { ...LABELS, status: "success" }) === 1);
    expect(m.value("github_runner_supervisor_info", { ...LABELS, version: VERSION })).toBe(1);
    expect(m.value("github_runner_info", { ...LABELS, version: "2.336.0" })).toBe(1);
    expect(m.value("github_runner_status", LABELS)).toBe(1);
    // The reaper's native calls (koffi) load from beside the bundle: no warning about them.
    expect(s.stderr()).not.toMatch(/native calls unavailable|koffi/i);
    const health = await s.get("/health");
    expect(health.status).toBe(200);
    s.proc.kill("SIGTERM");
    expect(await s.exit).toEqual({ code: 7, signal: null });
    expect(s.stdout()).toContain("Exiting runner...");
  });

  it("with a web configuration file: TLS and basic auth, its part and its password thread loaded from beside the bundle", async () => {
    const s = runSupervisor({
      command: [node, join(dir, BUNDLE_FILE)],
      cwd: dir,
      env: { FAKE_IDLE_SECONDS: "20", FAKE_TERM_EXIT: "7", WEB_CONFIG_FILE: web.file },
    });
    const port = await s.port;
    expect(s.stderr()).toMatch(
      /serving metrics on https:\/\/127\.0\.0\.1:\d+\/metrics \(listening on 127\.0\.0\.1 only, port \d+; web config .+: TLS, basic auth for 1 user\)/,
    );
    expect((await httpsGet(port, "/metrics", { ca: web.certs.caCert, user: "prometheus", password: "wrong" })).status).toBe(401);
    const ok = await httpsGet(port, "/metrics", { ca: web.certs.caCert, user: "prometheus", password: WEB_PASSWORD });
    expect(ok.status).toBe(200);
    expect(parseSamples(ok.body).value("github_runner_info", { ...LABELS, version: "2.336.0" })).toBe(1);
    expect((await s.get("/health")).status).toBe(200);
    s.proc.kill("SIGTERM");
    expect(await s.exit).toEqual({ code: 7, signal: null });
  });

  it("without a web configuration file loads nothing of it: no TLS, no worker threads, no web-config.cjs", () => {
    const loaded = loadedBy(node, {});
    expect(loaded.builtins.filter((m) => /^(tls|_tls_wrap|worker_threads|crypto|https)$/.test(m))).toEqual([]);
    expect(loaded.files).not.toContain(WEB_CONFIG_FILE);
    const protectedRun = loadedBy(node, { WEB_CONFIG_FILE: web.file });
    expect(protectedRun.builtins).toEqual(expect.arrayContaining(["tls", "worker_threads"]));
    expect(protectedRun.files).toContain(WEB_CONFIG_FILE);
  });

  it("without an OTLP endpoint loads nothing of the traces; with one, sends the runner's jobs from traces.cjs beside the bundle", async () => {
    expect(loadedBy(node, {}).files).not.toContain(TRACES_FILE);
    // The receiver runs in a process of its own: loadedBy waits for the supervisor synchronously.
    const port = await freePort();
    const receiver = spawn(process.execPath, [join(FIXTURES, "otlp-receiver.mjs"), String(port)], { stdio: ["ignore", "pipe", "inherit"] });
    let printed = "";
    receiver.stdout.on("data", (c: Buffer) => (printed += c.toString("utf8")));
    try {
      await until(() => printed.includes("listening"), 10_000, "the receiver");
      const traced = loadedBy(node, { OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${port}` });
      expect(traced.files).toContain(TRACES_FILE);
      // The job's span was sent before the supervisor exited (its flush at the end).
      await until(() => printed.includes("runner_supervisor.job.context="), 10_000, "the job's span");
    } finally {
      receiver.kill("SIGKILL");
    }
  });

  it.skipIf(!IS_ROOT)(
    "runs as PID 1 of a PID namespace: reaps orphans, and docker stop's SIGTERM ends it with the runner's code",
    async () => {
      const s = runSupervisor({
        command: [node, join(dir, BUNDLE_FILE)],
        cwd: dir,
        pid1: true,
        env: { FAKE_IDLE_SECONDS: "20", FAKE_TERM_EXIT: "7", FAKE_ORPHANS: "5" },
      });
      await s.waitFor((m) => m.value("github_runner_jobs_total", { ...LABELS, status: "success" }) === 1);
      expect(s.stdout()).toContain("parent pid: 1\n");
      expect((await s.get("/health")).status).toBe(200);
      expect(s.stderr()).not.toMatch(/native calls unavailable|koffi/i);
      // The orphans (sleep 0.1) were reparented to PID 1; the bundled reaper must leave no zombie.
      const pid = await s.supervisorPid();
      let zombies = zombieChildren(pid);
      for (let i = 0; i < 50 && zombies.length > 0; i++) {
        await new Promise((r) => setTimeout(r, 100));
        zombies = zombieChildren(pid);
      }
      expect(zombies).toEqual([]);
      // From outside the namespace, as Docker signals a container's PID 1.
      process.kill(await s.supervisorPid(), "SIGTERM");
      expect(await s.exit).toEqual({ code: 7, signal: null });
    },
  );

  it.skipIf(!IS_ROOT)("as PID 1, passes the runner's own exit code through", async () => {
    const s = runSupervisor({ command: [node, join(dir, BUNDLE_FILE)], cwd: dir, pid1: true, env: { FAKE_EXIT: "3" } });
    expect(await s.exit).toEqual({ code: 3, signal: null });
    expect(s.stdout()).toContain("completed with result: Succeeded");
  });
});

describe("without koffi.node beside it", () => {
  it("the supervisor warns once and supervises on: metrics, health and exit code are unchanged", async () => {
    const importsKoffi = built.files.includes(KOFFI_NATIVE_FILE);
    if (!importsKoffi) {
      // Nothing imports koffi (yet): then nothing may mention it either.
      expect(readFileSync(join(built.dir, BUNDLE_FILE), "utf8")).not.toContain(KOFFI_NATIVE_FILE);
      return;
    }
    const bare = isolatedCopy(built);
    rmSync(join(bare, KOFFI_NATIVE_FILE));
    const s = runSupervisor({
      command: [NODE20, join(bare, BUNDLE_FILE)],
      cwd: bare,
      env: { FAKE_IDLE_SECONDS: "20", FAKE_TERM_EXIT: "7" },
    });
    await s.waitFor((m) => m.value("github_runner_jobs_total", { ...LABELS, status: "success" }) === 1);
    expect((await s.get("/health")).status).toBe(200);
    const warnings = s
      .stderr()
      .split("\n")
      .filter((l) => l.includes(KOFFI_NATIVE_FILE));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/^runner-supervisor: warning: /);
    s.proc.kill("SIGTERM");
    expect(await s.exit).toEqual({ code: 7, signal: null });
  });
});

describe("the launcher", () => {
  /** A runner home with run.sh and the given externals/nodeNN/bin/node (a symlink, or a script that must never run). */
  function runnerHome(nodes: Record<string, string>): string {
    const home = tempDir("home");
    copyFileSync(join(IMAGE_FIXTURES, "run.sh"), join(home, "run.sh"));
    chmodSync(join(home, "run.sh"), 0o755);
    for (const [dirName, target] of Object.entries(nodes)) {
      const bin = join(home, "externals", dirName, "bin");
      mkdirSync(bin, { recursive: true });
      if (target === "decoy") {
        writeFileSync(join(bin, "node"), `#!/bin/sh\necho "${dirName} must not run" >&2\nexit 99\n`, { mode: 0o755 });
      } else {
        symlinkSync(target, join(bin, "node"));
      }
    }
    return home;
  }

  it("runs the bundle on the newest externals/nodeNN, in place of itself (same pid)", async () => {
    requireNode24();
    const home = runnerHome({ node16: "decoy", node20: NODE20, node24: NODE24, node20_alpine: "decoy", nodejs: "decoy" });
    const s = runSupervisor({
      command: [join(dir, LAUNCHER_FILE)],
      cwd: dir,
      runnerHome: home,
      env: { FAKE_IDLE_SECONDS: "20", FAKE_TERM_EXIT: "7" },
    });
    await s.waitFor((m) => m.value("github_runner_jobs_total", { ...LABELS, status: "success" }) === 1);
    expect(readlinkSync(`/proc/${s.proc.pid}/exe`)).toBe(realpathSync(NODE24));
    s.proc.kill("SIGTERM");
    expect(await s.exit).toEqual({ code: 7, signal: null });
  });

  it.skipIf(!IS_ROOT)("as PID 1 with only node20 present, node20 becomes PID 1", async () => {
    const home = runnerHome({ node16: "decoy", node20: NODE20 });
    const s = runSupervisor({
      command: [join(dir, LAUNCHER_FILE)],
      cwd: dir,
      runnerHome: home,
      pid1: true,
      env: { FAKE_IDLE_SECONDS: "20" },
    });
    await s.waitFor((m) => m.value("github_runner_jobs_total", { ...LABELS, status: "success" }) === 1);
    expect(readlinkSync(`/proc/${await s.supervisorPid()}/exe`)).toBe(realpathSync(NODE20));
    expect(s.stdout()).toContain("parent pid: 1\n");
    process.kill(await s.supervisorPid(), "SIGTERM");
    // run.sh's own code after a trapped SIGTERM, passed through (unshare gives PID 1's code).
    expect(await s.exit).toEqual({ code: 143, signal: null });
  });

  it("fails with exit 127 and a message naming the directory when the runner has no Node 20 or newer", () => {
    const home = runnerHome({ node16: "decoy" });
    const r = spawnSync(join(dir, LAUNCHER_FILE), ["--version"], {
      cwd: dir,
      env: { PATH: process.env.PATH, RUNNER_HOME: home },
      encoding: "utf8",
      timeout: 10_000,
    });
    expect(r.status).toBe(127);
    expect(r.stderr).toContain(`runner-supervisor: no Node.js 20 or newer in ${home}/externals/`);
    expect(r.stderr).not.toContain("must not run");
  });

  it("uses RUNNER_SUPERVISOR_NODE when set", () => {
    const r = spawnSync(join(dir, LAUNCHER_FILE), ["--version"], {
      cwd: dir,
      env: { PATH: process.env.PATH, RUNNER_HOME: tempDir("nohome"), RUNNER_SUPERVISOR_NODE: NODE20 },
      encoding: "utf8",
      timeout: 10_000,
    });
    expect(r.stdout.trim()).toBe(VERSION);
    expect(r.status).toBe(0);
    expect(existsSync(join(dir, "node_modules"))).toBe(false);
  });
});
