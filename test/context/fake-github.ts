import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

/** How the fake API answers one request. */
export type Answer =
  | { readonly status: number; readonly body?: unknown; readonly headers?: Record<string, string>; readonly delayMs?: number }
  | { readonly hang: true };

export interface SeenRequest {
  readonly method: string;
  readonly url: string;
  readonly headers: IncomingMessage["headers"];
}

/**
 * A local stand-in for GitHub's REST API on 127.0.0.1 (a free port), answering
 * GET /repos/{owner}/{repo}/actions/runs/{run_id}/attempts/{attempt}/jobs in the documented
 * shape. Answers are taken from a script in order; the last one repeats.
 */
export class FakeGitHub {
  readonly requests: SeenRequest[] = [];
  private script: Answer[] = [];
  private server: Server | undefined;
  private readonly open = new Set<ServerResponse>();

  answer(...answers: Answer[]): this {
    this.script = answers;
    return this;
  }

  async start(): Promise<string> {
    this.server = createServer((req, res) => this.handle(req, res));
    await new Promise<void>((resolve) => this.server!.listen(0, "127.0.0.1", resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    for (const res of this.open) res.destroy();
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    this.requests.push({ method: req.method ?? "", url: req.url ?? "", headers: req.headers });
    const answer = this.script.length > 1 ? this.script.shift()! : this.script[0] ?? { status: 500 };
    this.open.add(res);
    res.on("close", () => this.open.delete(res));
    if ("hang" in answer) return;
    const send = () => {
      res.writeHead(answer.status, { "content-type": "application/json; charset=utf-8", ...answer.headers });
      res.end(answer.body === undefined ? "" : JSON.stringify(answer.body));
    };
    if (answer.delayMs) setTimeout(send, answer.delayMs);
    else send();
  }
}

/** A job of the list-jobs-for-a-run-attempt answer, with the fields the supervisor reads and a few it ignores. */
export function apiJob(over: Record<string, unknown>): Record<string, unknown> {
  return {
    id: 29679449,
    run_id: 4242,
    run_attempt: 1,
    status: "in_progress",
    conclusion: null,
    name: "deploy (production)",
    runner_name: "registered-runner",
    runner_group_name: "Default",
    labels: ["self-hosted", "linux"],
    steps: [{ name: "Set up job", status: "completed", conclusion: "success", number: 1 }],
    head_sha: "0123456789abcdef0123456789abcdef01234567",
    head_branch: "main",
    created_at: "2026-11-25T10:00:00Z",
    started_at: "2026-11-25T10:00:42Z",
    ...over,
  };
}

export function jobsPage(jobs: Record<string, unknown>[], total = jobs.length): { total_count: number; jobs: Record<string, unknown>[] } {
  return { total_count: total, jobs };
}
