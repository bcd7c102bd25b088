import { Readable } from "node:stream";
import { spawn } from "node:child_process";
import { trackOwnChild } from "./own-children.js";
import { resolveCommand } from "./resolve-command.js";

/** How the child ended. */
export type ChildExit =
  | { readonly kind: "exited"; readonly code: number }
  | { readonly kind: "signaled"; readonly signal: NodeJS.Signals }
  | { readonly kind: "spawn-failed"; readonly errno: string; readonly message: string };

export interface ChildSpec {
  readonly command: string;
  readonly args: readonly string[];
  readonly cwd: string;
  readonly env: NodeJS.ProcessEnv;
  /**
   * setpriv(1), to start the child with a parent-death signal (SIGTERM): if the supervisor is
   * killed, the kernel stops the runner instead of leaving it orphaned. Node cannot set it
   * between fork and exec itself. Undefined: the child is started directly.
   */
  readonly setpriv?: string;
}

/** The running child: its pid, its two output pipes, and how it ends. */
export interface Child {
  readonly pid: number | undefined;
  readonly stdout: Readable;
  readonly stderr: Readable;
  readonly exit: Promise<ChildExit>;
  /** Sends a signal to the child, or to its whole process group; false if it is gone. */
  signal(signal: NodeJS.Signals, group?: boolean): boolean;
}

/**
 * The child's environment: ours, plus RUNNER_MANUALLY_TRAP_SIG=1 unless the user set it, so that
 * run.sh traps SIGTERM and stops the listener (and its job) cleanly instead of orphaning it.
 */
export function childEnvironment(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  return "RUNNER_MANUALLY_TRAP_SIG" in env ? { ...env } : { ...env, RUNNER_MANUALLY_TRAP_SIG: "1" };
}

/**
 * Starts the child in a session of its own (so in its own process group) with stdin inherited
 * and stdout/stderr piped to us. The exit status comes from the 'exit' event, not 'close',
 * which waits for the pipes to close (a grandchild may hold them open).
 */
export function spawnChild(spec: ChildSpec): Child {
  const [file, args] = spec.setpriv ? viaSetpriv(spec, spec.setpriv) : [spec.command, spec.args];
  if (typeof args === "string") return notStarted(args);
  const subprocess = spawn(file, [...args], { cwd: spec.cwd, env: spec.env, stdio: ["inherit", "pipe", "pipe"], detached: true });
  // Before any SIGCHLD can be handled: the reaper must leave this pid to libuv.
  trackOwnChild(subprocess);

  const exit = new Promise<ChildExit>((resolve) => {
    subprocess.once("exit", (code, signal) => {
      resolve(signal ? { kind: "signaled", signal } : { kind: "exited", code: code ?? 0 });
    });
    subprocess.once("error", (error: NodeJS.ErrnoException) => {
      if (subprocess.pid === undefined) resolve({ kind: "spawn-failed", errno: error.code ?? "UNKNOWN", message: error.message });
    });
  });

  return {
    pid: subprocess.pid,
    stdout: subprocess.stdout,
    stderr: subprocess.stderr,
    exit,
    signal: (signal, group = false) => {
      if (subprocess.pid === undefined || subprocess.exitCode !== null || subprocess.signalCode !== null) return false;
      try {
        // The child leads its own process group (detached: setsid), so -pid names that group.
        process.kill(group ? -subprocess.pid : subprocess.pid, signal);
        return true;
      } catch {
        return false;
      }
    },
  };
}

/** setpriv's command line for the child, or why the child's command cannot run (setpriv would only say so in its own words). */
function viaSetpriv(spec: ChildSpec, setpriv: string): [string, readonly string[] | "ENOENT" | "EACCES"] {
  const resolved = resolveCommand(spec.command, spec.cwd, spec.env.PATH);
  if ("errno" in resolved) return [spec.command, resolved.errno];
  return [setpriv, ["--pdeathsig", "TERM", "--", resolved.path, ...spec.args]];
}

/** A child that was never started: its exit says why, as a failed spawn does. */
function notStarted(errno: "ENOENT" | "EACCES"): Child {
  const nothing = Readable.from([]);
  return {
    pid: undefined,
    stdout: nothing,
    stderr: nothing,
    exit: Promise.resolve({ kind: "spawn-failed", errno, message: errno }),
    signal: () => false,
  };
}

/** If the supervisor itself goes down, it takes the runner's process group with it rather than orphan it; returns the undo. */
export function killGroupOnExit(child: Child): () => void {
  const kill = () => {
    if (child.pid === undefined) return;
    try {
      process.kill(-child.pid, "SIGKILL");
    } catch {
      // already gone
    }
  };
  // Not signal-exit: as the only listener of SIGABRT, SIGTRAP and SIGSYS it would kill the runner on them, where tini ignores them.
  process.once("exit", kill);
  return () => process.off("exit", kill);
}
