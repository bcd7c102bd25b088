import type { ChildProcess } from "node:child_process";

/**
 * Pids this process spawned itself and that libuv still has to reap. The reaper must never
 * take their exit status: libuv reaps each by its pid, and a child reaped by anyone else
 * never emits 'exit'.
 */
const own = new Set<number>();
const exitListeners = new Set<() => void>();

/** Records a freshly spawned child until its 'exit'. Call synchronously right after spawning. */
export function trackOwnChild(child: Pick<ChildProcess, "pid" | "once">): void {
  const pid = child.pid;
  if (pid === undefined) return;
  own.add(pid);
  child.once("exit", () => {
    own.delete(pid);
    for (const listener of exitListeners) listener();
  });
}

/** Whether the pid is one of ours, still to be reaped by libuv. */
export function isOwnChild(pid: number): boolean {
  return own.has(pid);
}

/** Called after one of our own children has been reaped (others may have queued behind it). */
export function onOwnChildExit(listener: () => void): () => void {
  exitListeners.add(listener);
  return () => exitListeners.delete(listener);
}
