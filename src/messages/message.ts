import { SHORT_NAME } from "../common/names.js";
import { boundedText, decodeContext, type JobContext } from "./job-context.js";

/**
 * What travels over the local channel between a job and the supervisor: a hook's job context, or
 * a cache report from a step. One JSON line per connection, checked and bounded on arrival.
 */

/** The variable that tells hooks and steps where the supervisor's channel is. */
export const SOCKET_ENV = "RUNNER_SUPERVISOR_SOCKET";

export type HookKind = "job-started" | "job-completed";
export const HOOK_KINDS: readonly HookKind[] = ["job-started", "job-completed"];

export type ChannelMessage =
  | { readonly kind: "hook"; readonly hook: HookKind; readonly context: JobContext }
  | { readonly kind: "cache"; readonly cacheType: string; readonly hits: number; readonly misses: number };

/** Longest message accepted, in bytes (one JSON line). */
export const MAX_MESSAGE_BYTES = 16 * 1024;
/** Largest count one cache report may carry. */
export const MAX_CACHE_COUNT = 100_000;

function count(value: unknown): number | undefined {
  return typeof value === "number" && Number.isInteger(value) && value >= 0 && value <= MAX_CACHE_COUNT ? value : undefined;
}

/** Checks one message from the channel; undefined for anything not understood. */
export function decodeMessage(raw: unknown): ChannelMessage | undefined {
  if (typeof raw !== "object" || raw === null) return undefined;
  const r = raw as Record<string, unknown>;
  if (r.kind === "hook") {
    const hook = HOOK_KINDS.find((h) => h === r.hook);
    const context = decodeContext(r.context);
    return hook && context ? { kind: "hook", hook, context } : undefined;
  }
  if (r.kind === "cache") {
    const cacheType = boundedText(r.cacheType, SHORT_NAME);
    const hits = count(r.hits);
    const misses = count(r.misses);
    if (!cacheType || hits === undefined || misses === undefined || hits + misses === 0) return undefined;
    return { kind: "cache", cacheType, hits, misses };
  }
  return undefined;
}
