// A supervisor started from the build and followed: its output, its port, its exit, scrapes of it.
import { spawn, type ChildProcess } from "node:child_process";
import { parseSamples, type Samples } from "./exposition.js";
import { BIN, FIXTURES } from "./paths.js";

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
    waitFor: async (predicate, timeoutMs = 30_000) => {
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
