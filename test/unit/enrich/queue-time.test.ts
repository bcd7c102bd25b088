import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { JobContext } from "../../../src/messages/job-context.js";
import { QueueTimeLookups, queueTimeOf } from "../../../src/enrich/queue-time.js";
import { apiJob, FakeGitHub, jobsPage } from "../../fixtures/fake-github.js";

const context: JobContext = {
  runId: "4242",
  runAttempt: 2,
  repository: "acme/shop",
  workflow: "Deploy",
  job: "deploy",
  eventName: "push",
  runnerName: "registered-runner",
};

let github: FakeGitHub;
let base: string;

beforeEach(async () => {
  github = new FakeGitHub();
  base = await github.start();
});
afterEach(async () => {
  await github.stop();
});

function lookups(over: Partial<ConstructorParameters<typeof QueueTimeLookups>[0]> = {}) {
  return new QueueTimeLookups({ apiUrl: base, token: "t0ken", timeoutMs: 2000, retries: 2, userAgent: "test", backoffMs: 20, ...over });
}

describe("queue-time look-ups against a local GitHub REST API", () => {
  it("asks the documented endpoint with the token and API version, and returns started_at - created_at of this runner's job", async () => {
    github.answer({
      status: 200,
      body: jobsPage([
        apiJob({ name: "build", runner_name: "other-runner", created_at: "2026-11-25T09:00:00Z", started_at: "2026-11-25T09:30:00Z" }),
        apiJob({ name: "deploy (production)", created_at: "2026-11-25T10:00:00Z", started_at: "2026-11-25T10:00:42Z" }),
      ]),
    });
    expect(await lookups().lookup(context, "registered-runner", "deploy (production)")).toEqual({ ok: true, seconds: 42 });
    const req = github.requests[0]!;
    expect(req.url).toBe("/repos/acme/shop/actions/runs/4242/attempts/2/jobs?per_page=100&page=1");
    expect(req.headers.authorization).toBe("Bearer t0ken");
    expect(req.headers["x-github-api-version"]).toBe("2022-11-28");
    expect(req.headers.accept).toBe("application/vnd.github+json");
  });

  it("prefers the job named as on the console when this runner ran several jobs of the run", () => {
    const jobs = [
      apiJob({ name: "build", status: "completed", created_at: "2026-11-25T10:00:00Z", started_at: "2026-11-25T10:00:05Z" }),
      apiJob({ name: "deploy (production)", created_at: "2026-11-25T10:01:00Z", started_at: "2026-11-25T10:03:00Z" }),
    ];
    expect(queueTimeOf(jobs, "registered-runner", "build")).toEqual({ ok: true, seconds: 5 });
    expect(queueTimeOf(jobs, "registered-runner", "not on the list")).toEqual({ ok: true, seconds: 120 });
    expect(queueTimeOf(jobs, "someone-else", "build")).toEqual({ ok: false, reason: "not_found" });
  });

  it.each([
    [401, "unauthorized"],
    [403, "forbidden"],
    [404, "not_found"],
  ] as const)("gives up at once on %i (%s), without retrying", async (status, reason) => {
    github.answer({ status, body: { message: "nope" } });
    expect(await lookups().lookup(context, "registered-runner", undefined)).toEqual({ ok: false, reason });
    expect(github.requests).toHaveLength(1);
  });

  it("retries server errors with backoff and succeeds when the API recovers", async () => {
    github.answer({ status: 502 }, { status: 503 }, { status: 200, body: jobsPage([apiJob({})]) });
    expect(await lookups().lookup(context, "registered-runner", undefined)).toEqual({ ok: true, seconds: 42 });
    expect(github.requests).toHaveLength(3);
  });

  it("retries while this runner's job is not listed yet, then says not_found", async () => {
    github.answer({ status: 200, body: jobsPage([apiJob({ runner_name: null, started_at: null })]) });
    expect(await lookups().lookup(context, "registered-runner", undefined)).toEqual({ ok: false, reason: "not_found" });
    expect(github.requests).toHaveLength(3);
  });

  it("waits for retry-after on a rate limit, then succeeds", async () => {
    github.answer(
      { status: 403, headers: { "x-ratelimit-remaining": "0", "retry-after": "0" }, body: { message: "API rate limit exceeded" } },
      { status: 200, body: jobsPage([apiJob({})]) },
    );
    expect(await lookups().lookup(context, "registered-runner", undefined)).toEqual({ ok: true, seconds: 42 });
    expect(github.requests).toHaveLength(2);
  });

  it("gives up as rate_limited when the limit resets too late, and asks nothing more until then", async () => {
    const reset = Math.floor(Date.now() / 1000) + 3600;
    github.answer({
      status: 403,
      headers: { "x-ratelimit-remaining": "0", "x-ratelimit-reset": String(reset) },
      body: { message: "API rate limit exceeded" },
    });
    const client = lookups();
    expect(await client.lookup(context, "registered-runner", undefined)).toEqual({ ok: false, reason: "rate_limited" });
    expect(await client.lookup(context, "registered-runner", undefined)).toEqual({ ok: false, reason: "rate_limited" });
    expect(github.requests).toHaveLength(1);
  });

  it("treats a 429 with a long retry-after as rate_limited", async () => {
    github.answer({ status: 429, headers: { "retry-after": "600" } });
    expect(await lookups().lookup(context, "registered-runner", undefined)).toEqual({ ok: false, reason: "rate_limited" });
    expect(github.requests).toHaveLength(1);
  });

  it("cuts off a slow answer at the timeout and a hanging one too", async () => {
    github.answer({ status: 200, body: jobsPage([apiJob({})]), delayMs: 1500 });
    expect(await lookups({ timeoutMs: 200, retries: 1 }).lookup(context, "registered-runner", undefined)).toEqual({
      ok: false,
      reason: "timeout",
    });
    github.answer({ hang: true });
    expect(await lookups({ timeoutMs: 200, retries: 0 }).lookup(context, "registered-runner", undefined)).toEqual({
      ok: false,
      reason: "timeout",
    });
  });

  it("says bad_response for an answer that is not the documented shape, and network_error when nobody listens", async () => {
    github.answer({ status: 200, body: { total_count: 1 } });
    expect(await lookups({ retries: 0 }).lookup(context, "registered-runner", undefined)).toEqual({ ok: false, reason: "bad_response" });
    await github.stop();
    expect(await lookups({ retries: 0 }).lookup(context, "registered-runner", undefined)).toEqual({ ok: false, reason: "network_error" });
  });

  it("reads further pages when the run has more than 100 jobs", async () => {
    const filler = Array.from({ length: 100 }, (_, i) => apiJob({ id: i, name: `shard ${i}`, runner_name: `r${i}` }));
    github.answer({ status: 200, body: jobsPage(filler, 101) }, { status: 200, body: jobsPage([apiJob({})], 101) });
    expect(await lookups().lookup(context, "registered-runner", undefined)).toEqual({ ok: true, seconds: 42 });
    expect(github.requests.map((r) => new URL(r.url, base).searchParams.get("page"))).toEqual(["1", "2"]);
  });
});
