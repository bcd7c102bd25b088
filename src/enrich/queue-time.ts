import type { IncomingHttpHeaders } from "node:http";
import { apiGet, type ApiAnswer, type ApiRequest } from "./github-api.js";
import type { JobContext } from "../messages/job-context.js";
import type { LookupFailure, LookupResult } from "../observation.js";

export interface QueueTimeOptions {
  readonly apiUrl: string;
  readonly token: string;
  readonly timeoutMs: number;
  readonly retries: number;
  readonly userAgent: string;
  /** First backoff; doubled on each retry. */
  readonly backoffMs?: number;
  /** Longest wait for a rate limit to reset before giving up on a job. */
  readonly maxRateLimitWaitMs?: number;
  readonly get?: (req: ApiRequest) => Promise<ApiAnswer>;
  readonly now?: () => number;
}

const PER_PAGE = 100;
const MAX_PAGES = 5;

interface ApiJob {
  readonly name?: unknown;
  readonly runner_name?: unknown;
  readonly status?: unknown;
  readonly created_at?: unknown;
  readonly started_at?: unknown;
}

type Attempt =
  | LookupResult
  | { readonly ok: false; readonly reason: LookupFailure; readonly retryAfterMs: number }
  | { readonly ok: false; readonly reason: LookupFailure; readonly final: true };

const WAKE_MARGIN_MS = 100;
const SECONDARY_LIMIT_MS = 60_000;

/**
 * Queue time from GitHub's REST API: the job's created_at to started_at, for the job of this run
 * attempt that ran on this runner. Runs beside the job and the endpoint, never in their way:
 * each request is bounded, failures are retried with exponential backoff, and rate-limit headers
 * are respected (while the limit is exhausted, look-ups fail at once as rate_limited).
 */
export class QueueTimeLookups {
  private blockedUntil = 0;
  private readonly backoffMs: number;
  private readonly maxWaitMs: number;
  private readonly get: (req: ApiRequest) => Promise<ApiAnswer>;
  private readonly now: () => number;

  constructor(private readonly o: QueueTimeOptions) {
    this.backoffMs = o.backoffMs ?? 1000;
    this.maxWaitMs = o.maxRateLimitWaitMs ?? 60_000;
    this.get = o.get ?? apiGet;
    this.now = o.now ?? Date.now;
  }

  /** Looks up one job; jobName (the display name from the console) breaks ties between this runner's jobs in the run. */
  async lookup(context: JobContext, runnerName: string, jobName: string | undefined): Promise<LookupResult> {
    let last: Attempt = { ok: false, reason: "not_found" };
    for (let attempt = 0; attempt <= this.o.retries; attempt++) {
      // After a rate limit, wake a little past its end: a timer may fire a millisecond before the clock gets there.
      if (attempt > 0)
        await sleep(
          "retryAfterMs" in last
            ? Math.max(last.retryAfterMs + WAKE_MARGIN_MS, this.backoffMs * 2 ** (attempt - 1))
            : this.backoffMs * 2 ** (attempt - 1),
        );
      if (this.now() < this.blockedUntil) return { ok: false, reason: "rate_limited" };
      last = await this.once(context, runnerName, jobName);
      if (last.ok || !retryable(last)) return strip(last);
    }
    return strip(last);
  }

  private async once(context: JobContext, runnerName: string, jobName: string | undefined): Promise<Attempt> {
    const jobs: ApiJob[] = [];
    for (let page = 1; page <= MAX_PAGES; page++) {
      const [owner, repo] = context.repository.split("/") as [string, string];
      const url = new URL(
        `${this.o.apiUrl}/repos/${encodeURIComponent(owner)}/${encodeURIComponent(repo)}/actions/runs/${context.runId}/attempts/${context.runAttempt}/jobs?per_page=${PER_PAGE}&page=${page}`,
      );
      const answer = await this.get({ url, token: this.o.token, timeoutMs: this.o.timeoutMs, userAgent: this.o.userAgent });
      if (answer.kind === "timeout") return { ok: false, reason: "timeout" };
      if (answer.kind === "network") return { ok: false, reason: "network_error" };
      const limited = this.rateLimit(answer.status, answer.headers);
      if (limited !== undefined) {
        return limited <= this.maxWaitMs
          ? { ok: false, reason: "rate_limited", retryAfterMs: limited }
          : { ok: false, reason: "rate_limited" };
      }
      if (answer.status === 401) return { ok: false, reason: "unauthorized" };
      if (answer.status === 403) return { ok: false, reason: "forbidden" };
      if (answer.status === 404) return { ok: false, reason: "not_found", final: true };
      if (answer.status >= 500) return { ok: false, reason: "server_error" };
      if (answer.status !== 200) return { ok: false, reason: "bad_response" };
      const body = answer.body as { jobs?: unknown; total_count?: unknown } | undefined;
      if (!body || !Array.isArray(body.jobs)) return { ok: false, reason: "bad_response" };
      jobs.push(...(body.jobs as ApiJob[]).slice(0, PER_PAGE));
      const total = typeof body.total_count === "number" ? body.total_count : 0;
      if (body.jobs.length < PER_PAGE || jobs.length >= total) break;
    }
    return queueTimeOf(jobs, runnerName, jobName);
  }

  /** Milliseconds to wait when the answer says the rate limit is exhausted; undefined when it does not. */
  private rateLimit(status: number, headers: IncomingHttpHeaders): number | undefined {
    const remaining = header(headers, "x-ratelimit-remaining");
    const retryAfter = Number(header(headers, "retry-after"));
    const reset = Number(header(headers, "x-ratelimit-reset"));
    const exhausted = remaining === "0";
    if (exhausted && Number.isFinite(reset) && reset > 0) this.blockedUntil = Math.max(this.blockedUntil, reset * 1000);
    if (status !== 403 && status !== 429) return undefined;
    if (Number.isFinite(retryAfter) && header(headers, "retry-after") !== undefined) {
      this.blockedUntil = Math.max(this.blockedUntil, this.now() + retryAfter * 1000);
      return retryAfter * 1000;
    }
    if (exhausted) return Number.isFinite(reset) && reset > 0 ? Math.max(0, reset * 1000 - this.now()) : this.maxWaitMs + 1;
    // A 429 without headers is still a rate limit (a secondary one); GitHub asks for at least a minute then,
    // and the other look-ups hold off too.
    if (status !== 429) return undefined;
    this.blockedUntil = Math.max(this.blockedUntil, this.now() + SECONDARY_LIMIT_MS);
    return SECONDARY_LIMIT_MS;
  }
}

/** Picks this runner's job from the run attempt's jobs and returns its queue time. */
export function queueTimeOf(jobs: readonly ApiJob[], runnerName: string, jobName: string | undefined): LookupResult {
  const mine = jobs.filter((j) => j.runner_name === runnerName && typeof j.created_at === "string" && typeof j.started_at === "string");
  const byName = jobName === undefined ? [] : mine.filter((j) => j.name === jobName);
  const inProgress = mine.filter((j) => j.status === "in_progress");
  const candidates = byName.length > 0 ? byName : inProgress.length > 0 ? inProgress : mine;
  const latest = [...candidates].sort((a, b) => Date.parse(b.started_at as string) - Date.parse(a.started_at as string))[0];
  if (!latest) return { ok: false, reason: "not_found" };
  const seconds = (Date.parse(latest.started_at as string) - Date.parse(latest.created_at as string)) / 1000;
  return Number.isFinite(seconds) && seconds >= 0 ? { ok: true, seconds } : { ok: false, reason: "bad_response" };
}

function retryable(attempt: Attempt): boolean {
  if (attempt.ok || "final" in attempt) return false;
  if (attempt.reason === "rate_limited") return "retryAfterMs" in attempt;
  // not_found also covers "this runner's job is not listed yet": the API can lag behind the hook.
  return ["timeout", "network_error", "server_error", "not_found", "bad_response"].includes(attempt.reason);
}

function strip(attempt: Attempt): LookupResult {
  return attempt.ok ? attempt : { ok: false, reason: attempt.reason };
}

function header(headers: IncomingHttpHeaders, name: string): string | undefined {
  const v = headers[name];
  return Array.isArray(v) ? v[0] : v;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}
