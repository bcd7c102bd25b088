import { spawn, type ChildProcess } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { BIN, childrenOf, FIXTURES, sleep } from "../../helpers/index.js";

/** The two PID 1s compared: the built supervisor and Debian's tini. */
export type Impl = "supervisor" | "tini";
export const IMPLS: readonly Impl[] = ["supervisor", "tini"];
export const PID1_FIXTURES = `${FIXTURES}/pid1`;

export interface NsExit {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** Date.now() when the unshare process exited. */
  atMs: number;
}

/** One PID 1 (and its child) in a fresh PID namespace, watched from the host side. */
export interface NsRun {
  readonly proc: ChildProcess;
  /** Host-side pid of the namespace's PID 1 (the child of unshare). */
  pid1(): Promise<number>;
  stdout(): string;
  stderr(): string;
  /** GET a path of the supervisor's endpoint (with options.metrics). */
  get(path: string): Promise<Response>;
  /** Resolves when stdout contains the text (bounded by timeoutMs). */
  waitForOutput(text: string, timeoutMs?: number): Promise<void>;
  readonly exit: Promise<NsExit>;
}

export interface RunOptions {
  /** Supervisor flags (ignored for tini). */
  readonly args?: readonly string[];
  /** tini flags (ignored for the supervisor). */
  readonly tiniArgs?: readonly string[];
  readonly env?: Record<string, string>;
  readonly stdin?: "pipe" | "ignore";
  /** Run without unshare (not PID 1). */
  readonly notPid1?: boolean;
  /** Extra node flags for the supervisor. */
  readonly nodeArgs?: readonly string[];
  /** Serve the endpoint (on a free port of 127.0.0.1) instead of --no-metrics. */
  readonly metrics?: boolean;
}

const running = new Set<ChildProcess>();

/** Starts impl with the command as its child, as PID 1 of a new PID namespace ("bare": the command itself is PID 1). */
export function runAsPid1(impl: Impl | "bare", command: readonly string[], options: RunOptions = {}): NsRun {
  const inner =
    impl === "supervisor"
      ? [
          process.execPath,
          ...(options.nodeArgs ?? []),
          BIN,
          ...(options.metrics ? [] : ["--no-metrics"]),
          ...(options.args ?? []),
          "--",
          ...command,
        ]
      : impl === "tini"
        ? ["/usr/bin/tini", ...(options.tiniArgs ?? []), "--", ...command]
        : [...command];
  const argv = options.notPid1 ? inner : ["unshare", "--pid", "--fork", "--mount-proc", ...inner];
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    RUNNER_HOME: FIXTURES,
    RUNNER_NAME: "pid1-test",
    METRICS_PORT: "0",
    METRICS_HOST: "127.0.0.1",
    ...options.env,
  };
  delete env.NODE_OPTIONS;
  const proc = spawn(argv[0]!, argv.slice(1), { env, stdio: [options.stdin ?? "ignore", "pipe", "pipe"] });
  running.add(proc);
  let out = "";
  let err = "";
  proc.stdout!.on("data", (c: Buffer) => (out += c.toString("latin1")));
  proc.stderr!.on("data", (c: Buffer) => (err += c.toString("utf8")));
  const exit = new Promise<NsExit>((resolve) =>
    proc.once("exit", (code, signal) => {
      running.delete(proc);
      resolve({ code, signal, atMs: Date.now() });
    }),
  );
  let exited = false;
  void exit.then(() => (exited = true));
  return {
    proc,
    pid1: async () => (options.notPid1 ? proc.pid! : findChild(proc.pid!)),
    stdout: () => out,
    stderr: () => err,
    get: async (path) => {
      for (let i = 0; i < 1_000 && !/serving metrics on/.test(err); i++) await sleep(5);
      const port = /serving metrics on http:\/\/\S+:(\d+)\/metrics/.exec(err)?.[1];
      if (!port) throw new Error(`no endpoint; stderr:\n${err}`);
      return fetch(`http://127.0.0.1:${port}${path}`);
    },
    exit,
    waitForOutput: async (text, timeoutMs = 10_000) => {
      const deadline = Date.now() + timeoutMs;
      while (!out.includes(text)) {
        if (exited || Date.now() > deadline) throw new Error(`no ${JSON.stringify(text)} on stdout; stdout:\n${out}\nstderr:\n${err}`);
        await sleep(5);
      }
    },
  };
}

/** SIGKILLs every namespace still running (its PID 1 first, which ends the namespace). */
export function killAll(): void {
  for (const proc of running) {
    try {
      for (const pid of childrenOf(proc.pid!)) process.kill(pid, "SIGKILL");
    } catch {
      // gone
    }
    proc.kill("SIGKILL");
  }
}

export { childrenOf, sleep };

async function findChild(pid: number): Promise<number> {
  for (let i = 0; i < 400; i++) {
    const [child] = childrenOf(pid);
    if (child !== undefined) return child;
    await sleep(2);
  }
  throw new Error(`unshare ${pid} has no child`);
}

/**
 * State, ppid and the signal masks of a process, read from /proc, or from the namespace's own
 * /proc as `/proc/<host pid of its PID 1>/root/proc` for a pid as the namespace numbers it.
 */
export function procInfo(
  pid: number,
  proc = "/proc",
): { state: string; ppid: number; pgrp: number; caught: bigint; blocked: bigint; ignored: bigint } | undefined {
  try {
    const stat = readFileSync(`${proc}/${pid}/stat`, "utf8");
    const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    const status = readFileSync(`${proc}/${pid}/status`, "utf8");
    const mask = (key: string) => BigInt(`0x${new RegExp(`^${key}:\\s*([0-9a-f]+)`, "m").exec(status)?.[1] ?? "0"}`);
    return {
      state: f[0]!,
      ppid: Number(f[1]),
      pgrp: Number(f[2]),
      caught: mask("SigCgt"),
      blocked: mask("SigBlk"),
      ignored: mask("SigIgn"),
    };
  } catch {
    return undefined;
  }
}

/** Zombies whose parent is the given host pid. */
export function zombiesOf(pid: number): number {
  let count = 0;
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    const info = procInfo(Number(entry));
    if (info && info.state === "Z" && info.ppid === pid) count++;
  }
  return count;
}

/** The bit of a signal in a /proc mask. */
export function bit(signal: number): bigint {
  return 1n << BigInt(signal - 1);
}
