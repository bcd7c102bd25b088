import { readdirSync, readFileSync, readlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";

/** The record's file name in the directory. */
export const OWNER_FILE = "owner";

interface Owner {
  readonly pid: number;
  /** Start time of the process in clock ticks since boot: a pid reused later has another. */
  readonly start: string;
  /** The PID namespace the pid means something in. */
  readonly pidNamespace: string;
  readonly bootId: string;
}

/** Records in the directory which process made it, so that another supervisor can tell whether it still runs. */
export function writeOwnerRecord(dir: string): void {
  const me = describe(process.pid);
  if (me) writeFileSync(join(dir, OWNER_FILE), JSON.stringify(me), { mode: 0o644 });
}

/** The initial PID namespace has this fixed inode (the kernel's PROC_PID_INIT_INO). */
const INITIAL_PID_NAMESPACE = "pid:[4026531836]";

/**
 * Whether the process that made the directory is gone for sure: its record names a pid of our
 * PID namespace and our boot that no longer runs, or now belongs to a process started at another
 * time; or, seen from the initial PID namespace (which sees every process), it names a namespace
 * no process is in any more (a container or `unshare --pid` that has ended). Anything uncertain
 * (no record, a namespace we cannot see into, no /proc) counts as still running.
 */
export function ownerIsGone(dir: string, namespacesInUse: () => ReadonlySet<string> | undefined = pidNamespacesInUse): boolean {
  let owner: Owner;
  try {
    owner = JSON.parse(readFileSync(join(dir, OWNER_FILE), "utf8")) as Owner;
  } catch {
    return false;
  }
  const me = describe(process.pid);
  if (!me || !Number.isInteger(owner.pid)) return false;
  if (owner.bootId !== me.bootId) return true;
  if (owner.pidNamespace !== me.pidNamespace) {
    if (me.pidNamespace !== INITIAL_PID_NAMESPACE || typeof owner.pidNamespace !== "string") return false;
    const inUse = namespacesInUse();
    return inUse !== undefined && !inUse.has(owner.pidNamespace);
  }
  const now = describe(owner.pid);
  return now === undefined ? !processExists(owner.pid) : now.start !== owner.start;
}

function describe(pid: number): Owner | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // Fields after the command name (which may hold spaces and parentheses); starttime is the 22nd field.
    const start = stat.slice(stat.lastIndexOf(")") + 2).split(" ")[19];
    const pidNamespace = readlinkSync("/proc/self/ns/pid");
    const bootId = readFileSync("/proc/sys/kernel/random/boot_id", "utf8").trim();
    return start ? { pid, start, pidNamespace, bootId } : undefined;
  } catch {
    return undefined;
  }
}

/** The PID namespaces of every process in /proc; undefined when one of them cannot be read (not root). */
export function pidNamespacesInUse(): ReadonlySet<string> | undefined {
  const found = new Set<string>();
  let pids: string[];
  try {
    pids = readdirSync("/proc").filter((name) => /^\d+$/.test(name));
  } catch {
    return undefined;
  }
  for (const pid of pids) {
    try {
      found.add(readlinkSync(`/proc/${pid}/ns/pid`));
    } catch (error) {
      // A process that ended meanwhile is fine; one we may not look at makes the answer unsure.
      if ((error as NodeJS.ErrnoException).code !== "ENOENT") return undefined;
    }
  }
  return found;
}

function processExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}
