import type { IncomingHttpHeaders } from "node:http";
import { requestFunction } from "../common/outbound.js";

/** Largest API answer read; a page of 100 jobs with their steps stays far below. */
const MAX_BODY_BYTES = 8 * 1024 * 1024;

export type ApiAnswer =
  | { readonly kind: "answer"; readonly status: number; readonly headers: IncomingHttpHeaders; readonly body: unknown }
  | { readonly kind: "timeout" }
  | { readonly kind: "network"; readonly code: string };

export interface ApiRequest {
  readonly url: URL;
  readonly token: string;
  readonly timeoutMs: number;
  readonly userAgent: string;
}

/**
 * One GET of the GitHub REST API with node's own http(s) (no extra client in memory): a hard
 * timeout over the whole exchange, a bounded body, JSON or nothing. Never throws.
 */
export async function apiGet(req: ApiRequest): Promise<ApiAnswer> {
  const send = await requestFunction(req.url);
  return new Promise((resolve) => {
    let settled = false;
    const settle = (answer: ApiAnswer) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(answer);
    };
    const outgoing = send(req.url, {
      method: "GET",
      headers: {
        accept: "application/vnd.github+json",
        authorization: `Bearer ${req.token}`,
        "x-github-api-version": "2022-11-28",
        "user-agent": req.userAgent,
      },
    });
    const timer = setTimeout(() => {
      outgoing.destroy();
      settle({ kind: "timeout" });
    }, req.timeoutMs);
    outgoing.on("error", (error: NodeJS.ErrnoException) => settle({ kind: "network", code: error.code ?? "error" }));
    outgoing.on("response", (response) => {
      const chunks: Buffer[] = [];
      let size = 0;
      response.on("data", (chunk: Buffer) => {
        size += chunk.length;
        if (size > MAX_BODY_BYTES) {
          response.destroy();
          settle({ kind: "answer", status: response.statusCode ?? 0, headers: response.headers, body: undefined });
          return;
        }
        chunks.push(chunk);
      });
      response.on("error", (error: NodeJS.ErrnoException) => settle({ kind: "network", code: error.code ?? "error" }));
      response.on("end", () => {
        let body: unknown;
        try {
          body = JSON.parse(Buffer.concat(chunks).toString("utf8"));
        } catch {
          body = undefined;
        }
        settle({ kind: "answer", status: response.statusCode ?? 0, headers: response.headers, body });
      });
    });
    outgoing.end();
  });
}
