import { lstatSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DIR_PREFIX } from "./hook-files.js";
import { ownerIsGone, pidNamespacesInUse } from "./owner-record.js";

/** Directories looked at by one sweep. */
const MAX_SWEPT = 100;

/**
 * Removes the directories of supervisors that were killed (SIGKILL leaves no chance to clean
 * up): ours by name and owner, older than minAgeMs, whose owner record says the process that
 * made them is gone. A live supervisor's directory, or one whose owner cannot be told, stays;
 * nothing here connects to another supervisor's socket.
 */
export function sweepStaleHookDirs(baseDir: string = tmpdir(), minAgeMs = 60_000): number {
  let names: string[];
  try {
    names = readdirSync(baseDir)
      .filter((n) => n.startsWith(DIR_PREFIX))
      .slice(0, MAX_SWEPT);
  } catch {
    return 0;
  }
  const uid = process.getuid?.();
  let removed = 0;
  // Read /proc at most once per sweep, and only for a directory of another PID namespace.
  let namespaces: ReadonlySet<string> | undefined | null = null;
  const namespacesInUse = () => (namespaces === null ? (namespaces = pidNamespacesInUse()) : namespaces);
  for (const name of names) {
    const dir = join(baseDir, name);
    try {
      const st = lstatSync(dir);
      if (!st.isDirectory() || st.uid !== uid || Date.now() - st.mtimeMs < minAgeMs || !ownerIsGone(dir, namespacesInUse)) continue;
      rmSync(dir, { recursive: true, force: true });
      removed++;
    } catch {
      // gone meanwhile, or not ours to remove
    }
  }
  return removed;
}
