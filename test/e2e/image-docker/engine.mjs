// A Docker engine of the image tests' own: dockerd with its own socket, data root, exec root, pid
// file, configuration file, cgroup parent, bridge and address pool, sharing nothing with any other
// daemon on the machine. Everything it creates is written down in /run/<name>/state.json first,
// so that a clean-up by name (also from another process, after a crash) removes exactly that.
//
//   node test/e2e/image-docker/engine.mjs sweep    removes what runs whose owner process is gone left behind
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, openSync, readdirSync, readFileSync, rmdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { request } from "node:http";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { COMPOSE, DOCKER, run } from "./exec.mjs";

/** Every name this module gives (run dir, data root, cgroup parent, iptables comments) starts so. */
export const NAME_PREFIX = "rs-image-test-";
const RUN_BASE = "/run";
const DATA_BASE = "/var/lib";
/** The second octet of the 10.N.0.0/16 pools the engine picks from: far from Docker's defaults. */
const POOL_OCTETS = [200, 249];
/** The machine's hard limit on open files; root here cannot raise it (no CAP_SYS_RESOURCE). */
const NOFILE = "20000:20000";
const SYSTEM_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

/** Says why the engine cannot start here, or undefined when it can. */
export function whyNoEngine() {
  if (process.platform !== "linux") return "the image tests need Linux";
  if (process.getuid?.() !== 0) return "they start their own dockerd, which needs root (CI runs as root)";
  for (const tool of ["/usr/sbin/dockerd", DOCKER, "/usr/bin/mmdebstrap", "/usr/sbin/iptables", "/usr/sbin/ip"]) {
    if (!existsSync(tool) && !existsSync(tool.replace("/usr/sbin/", "/sbin/")))
      return `${tool} is missing (bash test/setup/ensure-docker.sh installs it)`;
  }
  return undefined;
}

/**
 * Starts a daemon of its own and resolves once it answers. The returned engine's `env` points the
 * docker CLI and docker-compose at it; `stop()` removes everything the engine made.
 */
export async function startEngine({ log = () => {} } = {}) {
  const why = whyNoEngine();
  if (why) throw new Error(`cannot start a Docker engine: ${why}`);
  const id = randomBytes(4).toString("hex");
  const name = `${NAME_PREFIX}${id}`;
  const paths = pathsOf(name);
  const octet = await freePoolOctet();
  const state = {
    name,
    owner: { pid: process.pid, start: processStart(process.pid) },
    // A Linux interface name has at most 15 characters.
    bridge: `rsi${id}`,
    bridgeAddress: `10.${octet}.0.1/24`,
    pool: `10.${octet}.0.0/16`,
    rules: [],
    // With another of our engines running, IP forwarding is on because of it: remember what it found.
    forwardWas:
      liveNames()
        .map(readState)
        .find((other) => other?.forwardWas)?.forwardWas ?? readFileSync("/proc/sys/net/ipv4/ip_forward", "utf8").trim(),
  };
  state.rules = [
    // Builds reach Debian's archive and the npm registry through NAT, as on any Docker host.
    ["nat", "POSTROUTING", "-s", state.pool, "!", "-d", state.pool, "-j", "MASQUERADE"],
    // A FORWARD policy of DROP (another Docker on the machine sets one) must not cut our containers off.
    ["filter", "FORWARD", "-s", state.pool, "-j", "ACCEPT"],
    ["filter", "FORWARD", "-d", state.pool, "-j", "ACCEPT"],
  ];
  mkdirSync(paths.runDir, { recursive: true, mode: 0o700 });
  mkdirSync(paths.workDir, { recursive: true, mode: 0o700 });
  writeState(state);
  writeCliShims(paths.binDir);
  const engine = {
    name,
    ...paths,
    host: `unix://${paths.socket}`,
    pool: state.pool,
    env: cliEnv(paths),
    stop: () => cleanupEngine(name, { log }),
  };
  try {
    await run(["ip", "link", "add", "name", state.bridge, "type", "bridge"]);
    await run(["ip", "addr", "add", state.bridgeAddress, "dev", state.bridge]);
    await run(["ip", "link", "set", state.bridge, "up"]);
    for (const [table, chain, ...spec] of state.rules) {
      await run(["iptables", "-t", table, chain === "FORWARD" ? "-I" : "-A", chain, ...spec, "-m", "comment", "--comment", name]);
    }
    if (state.forwardWas !== "1") writeFileSync("/proc/sys/net/ipv4/ip_forward", "1");
    // dockerd otherwise reads /etc/docker/daemon.json and writes /etc/docker/key.json.
    writeFileSync(paths.config, JSON.stringify({ "deprecated-key-path": join(paths.runDir, "key.json") }));
    const args = [
      `--host=unix://${paths.socket}`,
      `--data-root=${paths.dataRoot}`,
      `--exec-root=${paths.execRoot}`,
      `--pidfile=${paths.pidfile}`,
      `--config-file=${paths.config}`,
      `--bridge=${state.bridge}`,
      `--default-address-pool=base=${state.pool},size=24`,
      `--cgroup-parent=${name}`,
      `--default-ulimit=nofile=${NOFILE}`,
      // The engine's own rules above replace Docker's: its fixed chain names (DOCKER, DOCKER-USER)
      // and its FORWARD policy would be shared with any other daemon on the machine.
      "--iptables=false",
      "--ip-masq=false",
      "--ip-forward=false",
      "--shutdown-timeout=5",
    ];
    const logFd = openSync(paths.log, "a");
    const daemon = spawn("dockerd", args, { env: { PATH: SYSTEM_PATH }, stdio: ["ignore", logFd, logFd], detached: true });
    daemon.unref();
    log(`${name}: dockerd ${daemon.pid} on ${paths.socket}, bridge ${state.bridge} ${state.bridgeAddress}, pool ${state.pool}`);
    await waitForPing(paths.socket, daemon, paths.log);
    return engine;
  } catch (error) {
    await cleanupEngine(name, { log });
    throw error;
  }
}

/** An engine another process started and still owns (its `stop()` removes it all the same). */
export function attachEngine(name, { log = () => {} } = {}) {
  const paths = pathsOf(name);
  const state = readState(name);
  if (!state || !daemonPid(paths)) throw new Error(`no running engine ${name}`);
  return { name, ...paths, host: `unix://${paths.socket}`, pool: state.pool, env: cliEnv(paths), stop: () => cleanupEngine(name, { log }) };
}

/** The files of an engine, all named after it. */
function pathsOf(name) {
  const runDir = join(RUN_BASE, name);
  return {
    runDir,
    dataRoot: join(DATA_BASE, name),
    execRoot: join(runDir, "exec"),
    socket: join(runDir, "docker.sock"),
    pidfile: join(runDir, "dockerd.pid"),
    config: join(runDir, "daemon.json"),
    log: join(runDir, "dockerd.log"),
    stateFile: join(runDir, "state.json"),
    binDir: join(runDir, "bin"),
    /** Build contexts and the like: removed with the engine, also by a sweep after a crash. */
    workDir: join(DATA_BASE, `${name}-work`),
  };
}

/**
 * `docker` for commands run as the guide writes them: Debian's 20.10 CLI, and for `docker compose`
 * (the Compose v2 plugin, which Debian 12 does not package) docker-compose 1.29, which takes the
 * same options the guide uses (-p, -f, --env-file; up -d, --scale, down).
 */
function writeCliShims(binDir) {
  mkdirSync(binDir, { recursive: true });
  const shim = ["#!/bin/sh", `if [ "$1" = compose ]; then shift; exec ${COMPOSE} "$@"; fi`, `exec ${DOCKER} "$@"`, ""].join("\n");
  writeFileSync(join(binDir, "docker"), shim, { mode: 0o755 });
}

/**
 * The environment for the docker CLI and docker-compose: this daemon, no user configuration, and
 * on PATH the CLI the tests pin, so that a command of the guide runs as written.
 */
function cliEnv(paths) {
  const env = {
    ...process.env,
    DOCKER_HOST: `unix://${paths.socket}`,
    DOCKER_CONFIG: join(paths.runDir, "cli-config"),
    PATH: `${paths.binDir}:${process.env.PATH ?? SYSTEM_PATH}`,
  };
  for (const key of ["DOCKER_CONTEXT", "DOCKER_TLS_VERIFY", "DOCKER_CERT_PATH", "COMPOSE_FILE", "COMPOSE_PROJECT_NAME", "DOCKER_BUILDKIT"])
    delete env[key];
  return env;
}

function writeState(state) {
  writeFileSync(pathsOf(state.name).stateFile, `${JSON.stringify(state, null, 1)}\n`);
}

function readState(name) {
  try {
    return JSON.parse(readFileSync(pathsOf(name).stateFile, "utf8"));
  } catch {
    return undefined;
  }
}

/** A 10.N.0.0/16 that no route of the machine and no other engine of ours overlaps. */
async function freePoolOctet() {
  const routes = (await run(["ip", "-4", "route", "show", "table", "all"])).stdout;
  const taken = new Set(
    liveNames()
      .map((n) => readState(n)?.pool)
      .filter(Boolean),
  );
  const candidates = [];
  for (let o = POOL_OCTETS[0]; o <= POOL_OCTETS[1]; o++) candidates.push(o);
  candidates.sort(() => Math.random() - 0.5);
  for (const octet of candidates) {
    const pool = `10.${octet}.0.0/16`;
    if (taken.has(pool)) continue;
    const clash = [...routes.matchAll(/(?:^|\s)(\d+\.\d+\.\d+\.\d+)(?:\/(\d+))?\s/gm)].some(([, ip, len]) =>
      overlaps(pool, `${ip}/${len ?? 32}`),
    );
    if (!clash) return octet;
  }
  throw new Error("no free 10.N.0.0/16 address pool for the test engine");
}

function overlaps(a, b) {
  const [ipA, lenA] = parseCidr(a);
  const [ipB, lenB] = parseCidr(b);
  const len = Math.min(lenA, lenB);
  const mask = len === 0 ? 0 : (~0 << (32 - len)) >>> 0;
  return (ipA & mask) >>> 0 === (ipB & mask) >>> 0;
}

function parseCidr(cidr) {
  const [ip, len] = cidr.split("/");
  return [ip.split(".").reduce((n, part) => ((n << 8) | Number(part)) >>> 0, 0), Number(len)];
}

function waitForPing(socket, daemon, logFile) {
  const deadline = Date.now() + 30_000;
  return new Promise((resolvePing, reject) => {
    let exited = false;
    daemon.once("exit", () => (exited = true));
    const attempt = () => {
      const req = request({ socketPath: socket, path: "/_ping", timeout: 1000 }, (res) => {
        res.resume();
        if (res.statusCode === 200) resolvePing();
        else retry();
      });
      req.once("error", retry);
      req.once("timeout", () => req.destroy());
      req.end();
    };
    const retry = () => {
      if (exited || Date.now() > deadline) {
        const tail = existsSync(logFile) ? readFileSync(logFile, "utf8").trim().split("\n").slice(-15).join("\n") : "";
        reject(new Error(`dockerd ${exited ? "exited" : "did not answer within 30 s"}; its log ends:\n${tail}`));
        return;
      }
      setTimeout(attempt, 100);
    };
    attempt();
  });
}

/**
 * Start time of a running process (clock ticks since boot), to tell it from a later process of the
 * same pid; undefined once it has exited (a zombie not yet reaped counts as exited).
 */
function processStart(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return fields[0] === "Z" ? undefined : fields[19];
  } catch {
    return undefined;
  }
}

function ageMs(path) {
  try {
    return Date.now() - statSync(path).mtimeMs;
  } catch {
    return Infinity;
  }
}

/** Names of the engines of ours that have a run directory. */
function liveNames() {
  try {
    return readdirSync(RUN_BASE).filter((n) => n.startsWith(NAME_PREFIX));
  } catch {
    return [];
  }
}

/** Removes the engines of runs whose owner process is gone (killed, crashed); returns their names. */
export async function sweepStaleEngines({ log = () => {} } = {}) {
  const swept = [];
  for (const name of liveNames()) {
    const owner = readState(name)?.owner;
    if (owner && processStart(owner.pid) === owner.start) continue;
    // No state yet: an engine that is being started this very moment.
    if (!owner && ageMs(pathsOf(name).runDir) < 60_000) continue;
    await cleanupEngine(name, { log });
    swept.push(name);
  }
  return swept;
}

/**
 * Removes everything the engine of that name made, in an order that works whether the daemon still
 * runs or died: containers and networks through the daemon, the daemon, whatever of it is left in
 * its cgroups, its mounts, interfaces and iptables rules, then its directories. Idempotent.
 */
export async function cleanupEngine(name, { log = () => {} } = {}) {
  if (!name.startsWith(NAME_PREFIX) || name.includes("/")) throw new Error(`not an engine of the image tests: ${name}`);
  const paths = pathsOf(name);
  const state = readState(name);
  const env = cliEnv(paths);
  const pid = daemonPid(paths);
  if (pid) {
    const ids = (await run([DOCKER, "ps", "-aq"], { env, timeoutMs: 15_000, allowFailure: true })).stdout.split(/\s+/).filter(Boolean);
    if (ids.length > 0) await run([DOCKER, "rm", "-f", "-v", ...ids], { env, timeoutMs: 60_000, allowFailure: true });
    const networks = (
      await run([DOCKER, "network", "ls", "-q", "--filter", "type=custom"], { env, timeoutMs: 15_000, allowFailure: true })
    ).stdout
      .split(/\s+/)
      .filter(Boolean);
    if (networks.length > 0) await run([DOCKER, "network", "rm", ...networks], { env, timeoutMs: 30_000, allowFailure: true });
    await stopProcess(pid, 20_000);
  }
  // containerd and its shims name the run directory on their command lines; the port proxies name
  // a container address in the pool; container processes sit in the engine's cgroups.
  for (const stray of strayProcesses(paths.runDir, state?.pool)) await stopProcess(stray, 2_000, "SIGKILL");
  killCgroupMembers(name);
  for (const mount of mountsUnder([paths.dataRoot, paths.runDir])) await run(["umount", "-l", mount], { allowFailure: true });
  if (state) {
    for (const link of await bridgesOf(state)) await run(["ip", "link", "delete", link], { allowFailure: true });
    for (const [table, chain, ...spec] of state.rules) {
      for (let i = 0; i < 5; i++) {
        const r = await run(["iptables", "-t", table, "-D", chain, ...spec, "-m", "comment", "--comment", name], { allowFailure: true });
        if (r.code !== 0) break;
      }
    }
    const othersLive = liveNames().some((n) => n !== name);
    if (state.forwardWas !== "1" && !othersLive) writeFileSync("/proc/sys/net/ipv4/ip_forward", state.forwardWas);
  }
  removeCgroups(name);
  rmSync(paths.dataRoot, { recursive: true, force: true });
  rmSync(paths.workDir, { recursive: true, force: true });
  rmSync(paths.runDir, { recursive: true, force: true });
  log(`${name}: removed`);
}

function daemonPid(paths) {
  try {
    const pid = Number(readFileSync(paths.pidfile, "utf8").trim());
    return readFileSync(`/proc/${pid}/cmdline`, "utf8").includes(paths.runDir) ? pid : undefined;
  } catch {
    return undefined;
  }
}

function alive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function stopProcess(pid, graceMs, signal = "SIGTERM") {
  try {
    process.kill(pid, signal);
  } catch {
    return;
  }
  const deadline = Date.now() + graceMs;
  while (alive(pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  if (alive(pid)) {
    try {
      process.kill(pid, "SIGKILL");
    } catch {
      // gone meanwhile
    }
  }
}

function strayProcesses(runDir, pool) {
  const found = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    let argv;
    try {
      argv = readFileSync(`/proc/${entry}/cmdline`, "utf8").split("\0");
    } catch {
      continue;
    }
    const mentionsRunDir = argv.some(
      (a) => a === runDir || a.startsWith(`${runDir}/`) || a.includes(`=${runDir}/`) || a.includes(`unix://${runDir}/`),
    );
    const ip = argv[argv.indexOf("-container-ip") + 1];
    const proxiesPool = pool !== undefined && argv[0]?.endsWith("docker-proxy") && ip !== undefined && overlaps(pool, `${ip}/32`);
    if (mentionsRunDir || proxiesPool) found.push(Number(entry));
  }
  return found;
}

/**
 * cgroup directories named after the engine. The daemon makes its cgroup parent in each hierarchy
 * below its own cgroup there (which it inherits from whoever started it), so they are searched for
 * by name, a few levels deep.
 */
function cgroupDirs(name) {
  const found = [];
  const search = (dir, depth) => {
    let entries;
    try {
      entries = readdirSync(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      if (!e.isDirectory()) continue;
      const path = join(dir, e.name);
      if (e.name === name) found.push(path);
      else if (depth > 0) search(path, depth - 1);
    }
  };
  const base = "/sys/fs/cgroup";
  if (existsSync(join(base, "cgroup.controllers"))) search(base, 4);
  else for (const hierarchy of listCgroupHierarchies(base)) search(hierarchy, 4);
  return found;
}

function listCgroupHierarchies(base) {
  try {
    return readdirSync(base, { withFileTypes: true })
      .filter((e) => e.isDirectory() || e.isSymbolicLink())
      .map((e) => join(base, e.name));
  } catch {
    return [];
  }
}

function killCgroupMembers(name) {
  for (const dir of cgroupDirs(name)) {
    for (const file of walk(dir).filter((f) => f.endsWith("/cgroup.procs"))) {
      for (const pid of readFileSync(file, "utf8").split("\n").filter(Boolean)) {
        try {
          process.kill(Number(pid), "SIGKILL");
        } catch {
          // gone meanwhile
        }
      }
    }
  }
}

function removeCgroups(name) {
  for (const dir of cgroupDirs(name)) {
    const dirs = walk(dir, true).sort((a, b) => b.length - a.length);
    for (const d of dirs) {
      try {
        rmdirSync(d);
      } catch {
        // still in use: left for the next sweep
      }
    }
  }
}

/** Files (or, with dirsOnly, directories including dir) below dir. */
function walk(dir, dirsOnly = false) {
  const out = dirsOnly ? [dir] : [];
  let entries;
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return out;
  }
  for (const e of entries) {
    const path = join(dir, e.name);
    if (e.isDirectory()) out.push(...walk(path, dirsOnly));
    else if (!dirsOnly) out.push(path);
  }
  return out;
}

/** Mount points below any of the directories, deepest first. */
function mountsUnder(dirs) {
  const points = readFileSync("/proc/self/mountinfo", "utf8")
    .split("\n")
    .map((line) => line.split(" ")[4])
    .filter((p) => p !== undefined)
    .map((p) => p.replace(/\\040/g, " "));
  return points.filter((p) => dirs.some((d) => p === d || p.startsWith(`${d}/`))).sort((a, b) => b.length - a.length);
}

/** The engine's bridge and every bridge Docker made for its networks (they carry pool addresses). */
async function bridgesOf(state) {
  const links = JSON.parse((await run(["ip", "-j", "-4", "addr", "show"], { allowFailure: true })).stdout || "[]");
  const inPool = links.filter((l) => (l.addr_info ?? []).some((a) => overlaps(state.pool, `${a.local}/32`))).map((l) => l.ifname);
  return [...new Set([state.bridge, ...inPool])].filter((l) => existsSync(`/sys/class/net/${l}`));
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const [command] = process.argv.slice(2);
  if (command !== "sweep") {
    console.error("usage: node test/e2e/image-docker/engine.mjs sweep");
    process.exit(64);
  }
  if (process.getuid?.() !== 0) process.exit(0);
  const swept = await sweepStaleEngines({ log: (line) => console.error(`engine: ${line}`) });
  if (swept.length > 0) console.error(`engine: removed what ${swept.length} earlier run(s) left behind`);
}
