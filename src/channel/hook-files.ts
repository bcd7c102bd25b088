import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SOCKET_ENV, type HookKind } from "../messages/message.js";
import { OWNER_FILE, writeOwnerRecord } from "./owner-record.js";

/** The runner's hook variables, by hook. */
export const HOOK_ENV: Readonly<Record<HookKind, string>> = {
  "job-started": "ACTIONS_RUNNER_HOOK_JOB_STARTED",
  "job-completed": "ACTIONS_RUNNER_HOOK_JOB_COMPLETED",
};
/** Path of a launcher of the supervisor's own commands, for workflow steps (`"$RUNNER_SUPERVISOR" report cache ...`). */
export const LAUNCHER_ENV = "RUNNER_SUPERVISOR";
/** The bundle's launcher runs the supervisor's commands on this Node (bin/build-bundle.mjs reads it). */
const LAUNCHER_NODE_ENV = "RUNNER_SUPERVISOR_NODE";

/** The name every hook directory starts with (stale-dirs.ts looks for it). */
export const DIR_PREFIX = "runner-supervisor-";
/** As root, the socket lives in this subdirectory, private to the runner's user. */
const SOCKET_SUBDIR = "channel";

/** Seconds our part of a hook may take before it is killed; the runner waits for the whole script. */
export const HOOK_BUDGET_SECONDS = 0.9;

export interface HookFiles {
  readonly dir: string;
  /** Variables to add to the runner's environment. */
  readonly env: Readonly<Record<string, string>>;
  /** Writes again any script a job deleted: the runner fails a job whose hook file is missing. */
  restore(): void;
  remove(): void;
}

export interface HookFilesOptions {
  /** The Node binary and entry script of this very process (works for bin/ and for the bundle). */
  readonly node: string;
  readonly entry: string;
  /** Hooks the user had set before: run after ours, and their exit status is the hook's. */
  readonly userHooks: Partial<Record<HookKind, string>>;
  /** When running as root: the runner directory, whose owner gets the directory. */
  readonly runnerHome: string;
  /**
   * The installed launcher (the bundle's own, beside its first file), for workflow steps. Without
   * one a launcher is written into the hook directory, which a noexec /tmp cannot run.
   */
  readonly launcher?: string;
  readonly baseDir?: string;
}

/** Quotes a value for a POSIX shell. */
export function shellQuote(value: string): string {
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

/**
 * Creates the directory of the channel's socket, the two hook scripts and a launcher. Run as the
 * runner's user, it is private to that user (mode 0700). Run as root for a runner of another user,
 * the scripts stay root's (mode 0755: the runner can run them, no job can delete them) and only
 * the socket's subdirectory belongs to the runner's user (mode 0700).
 */
export function createHookDir(options: HookFilesOptions): { dir: string; socketDir: string; write(socketPath: string): HookFiles } {
  const dir = mkdtempSync(join(options.baseDir ?? tmpdir(), DIR_PREFIX));
  writeOwnerRecord(dir);
  const owner = ownerFor(options.runnerHome);
  chmodSync(dir, owner ? 0o755 : 0o700);
  const socketDir = owner ? join(dir, SOCKET_SUBDIR) : dir;
  if (owner) {
    mkdirSync(socketDir, { mode: 0o700 });
    chownQuietly(socketDir, owner);
  }
  const mode = owner ? 0o755 : 0o700;
  return {
    dir,
    socketDir,
    write: (socketPath) => {
      const files = new Map<string, string>();
      const env: Record<string, string> = { [SOCKET_ENV]: socketPath };
      for (const hook of Object.keys(HOOK_ENV) as HookKind[]) {
        const path = join(dir, `${hook}.sh`);
        files.set(path, hookScript(hook, options, socketPath));
        env[HOOK_ENV[hook]] = path;
      }
      if (options.launcher) {
        env[LAUNCHER_ENV] = options.launcher;
        // The same Node as the supervisor's, whatever the job's RUNNER_HOME says.
        env[LAUNCHER_NODE_ENV] = options.node;
      } else {
        const launcher = join(dir, "runner-supervisor");
        files.set(launcher, launcherScript(options));
        env[LAUNCHER_ENV] = launcher;
      }
      const writeAll = (onlyMissing: boolean) => {
        for (const [path, text] of files) {
          if (onlyMissing && existsSync(path)) continue;
          mkdirSync(dir, { recursive: true, mode });
          writeFileSync(path, text, { mode });
        }
        if (onlyMissing && !existsSync(join(dir, OWNER_FILE))) writeOwnerRecord(dir);
      };
      writeAll(false);
      if (owner) chownQuietly(socketPath, owner);
      return {
        dir,
        env,
        restore: () => {
          try {
            writeAll(true);
          } catch {
            // the job's own hooks then fail as they would without us; nothing more to do here
          }
        },
        remove: () => rmSync(dir, { recursive: true, force: true }),
      };
    },
  };
}

/**
 * The script the runner runs (as `bash --noprofile --norc -e -o pipefail script.sh`). Our part is
 * bounded (killed after HOOK_BUDGET_SECONDS) and can never fail the script; the user's hook, if
 * any, then runs exactly as the runner would have run it, and its exit status is the script's.
 */
export function hookScript(hook: HookKind, options: Pick<HookFilesOptions, "node" | "entry" | "userHooks">, socketPath: string): string {
  // Our command's own stderr (one line at most) goes to the job's log through fd 3; the shell's
  // stderr is /dev/null around it, so bash never adds "Killed  timeout -s KILL ..." there.
  const send = `"$node" "$entry" hook ${hook} </dev/null >/dev/null 2>&3`;
  const user = options.userHooks[hook] ?? "";
  // The runner's own invocation of a .ps1 hook; single quotes doubled for PowerShell.
  const pwshCommand = `. '${user.replace(/'/g, "''")}'`;
  return `#!/usr/bin/env bash
# Written by runner-supervisor: tells it about the job (${hook}), then runs the hook that was set before.
export ${SOCKET_ENV}=${shellQuote(socketPath)}
node=${shellQuote(options.node)}
entry=${shellQuote(options.entry)}
if [ ! -x "$node" ] || [ ! -r "$entry" ]; then
  echo "runner-supervisor: ${hook} hook: cannot run $node $entry (moved, or deleted by a runner update?); the job goes on without its context" >&2 || true
elif command -v timeout >/dev/null 2>&1; then
  { timeout -s KILL ${HOOK_BUDGET_SECONDS} ${send} || true; } 3>&2 2>/dev/null
else
  { ${send} & } 3>&2 2>/dev/null
  pid=$!
  for _ in 1 2 3 4 5 6 7 8 9; do kill -0 "$pid" 2>/dev/null || break; sleep 0.1 || true; done
  { kill -9 "$pid" || true; wait "$pid" || true; } 2>/dev/null
fi
user=${shellQuote(user)}
if [ -n "$user" ]; then
  case "$user" in
    *.ps1) exec pwsh -command ${shellQuote(pwshCommand)} ;;
    *) exec bash --noprofile --norc -e -o pipefail "$user" ;;
  esac
fi
exit 0
`;
}

/**
 * The launcher for workflow steps when no installed one exists. A step's command must never fail
 * the job: when Node or the entry script is gone it says so in one line and exits 0.
 */
export function launcherScript(options: Pick<HookFilesOptions, "node" | "entry">): string {
  return `#!/bin/sh
node=${shellQuote(options.node)}
entry=${shellQuote(options.entry)}
if [ -x "$node" ] && [ -r "$entry" ]; then exec "$node" "$entry" "$@"; fi
echo "runner-supervisor: cannot run $node $entry (moved, or deleted by a runner update?); nothing sent" >&2
exit 0
`;
}

function ownerFor(runnerHome: string): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  try {
    const { uid, gid } = statSync(runnerHome);
    return uid === 0 ? undefined : { uid, gid };
  } catch {
    return undefined;
  }
}

function chownQuietly(path: string, owner: { uid: number; gid: number }): void {
  try {
    chownSync(path, owner.uid, owner.gid);
  } catch {
    // then only root can use it, which is still private
  }
}
