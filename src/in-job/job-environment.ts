import { closeSync, fstatSync, openSync, readSync } from "node:fs";
import { decodeContext, type JobContext } from "../messages/job-context.js";

/** Event payloads larger than this are not read (no commit time then). */
const MAX_EVENT_BYTES = 4 * 1024 * 1024;

/**
 * The job's context from the variables the runner gives a hook. Both hooks read the payload:
 * when the started hook could not reach the supervisor (killed at its time limit on a busy
 * machine, say), the completed hook's context still carries the commit time.
 */
export function contextFromEnvironment(env: NodeJS.ProcessEnv): JobContext | undefined {
  const event = env.GITHUB_EVENT_PATH ? readEventFacts(env.GITHUB_EVENT_PATH) : {};
  return decodeContext({
    runId: env.GITHUB_RUN_ID,
    runAttempt: Number(env.GITHUB_RUN_ATTEMPT ?? "1"),
    repository: env.GITHUB_REPOSITORY,
    workflow: env.GITHUB_WORKFLOW,
    job: env.GITHUB_JOB,
    eventName: env.GITHUB_EVENT_NAME,
    runnerName: env.RUNNER_NAME,
    ...event,
  });
}

/**
 * The two facts taken from the event payload, and nothing else: the pushed commit's time
 * (push: head_commit; workflow_run: its head_commit) and a deployment's environment.
 */
export function readEventFacts(path: string): { commitEpochSeconds?: number; environment?: string } {
  let payload: unknown;
  try {
    payload = JSON.parse(readBounded(path, MAX_EVENT_BYTES));
  } catch {
    return {};
  }
  const p = payload as Record<string, Record<string, unknown> | undefined> | null;
  if (typeof p !== "object" || p === null) return {};
  const commit = (p.head_commit ?? p.workflow_run?.head_commit) as Record<string, unknown> | undefined;
  const timestamp = typeof commit?.timestamp === "string" ? Date.parse(commit.timestamp) : NaN;
  const environment = p.deployment?.environment;
  return {
    ...(Number.isFinite(timestamp) ? { commitEpochSeconds: timestamp / 1000 } : {}),
    ...(typeof environment === "string" ? { environment } : {}),
  };
}

function readBounded(path: string, max: number): string {
  const fd = openSync(path, "r");
  try {
    const size = fstatSync(fd).size;
    if (size > max) throw new Error("too large");
    const buffer = Buffer.alloc(size);
    let read = 0;
    while (read < size) {
      const n = readSync(fd, buffer, read, size - read, read);
      if (n === 0) break;
      read += n;
    }
    return buffer.subarray(0, read).toString("utf8");
  } finally {
    closeSync(fd);
  }
}
