import type { ServerResponse } from "node:http";

/** Sends a whole answer; the body is a shared buffer (many answers may hold the same rendering). */
export function send(
  res: ServerResponse,
  status: number,
  contentType: string,
  body: Buffer | string,
  extra: Record<string, string> = {},
): void {
  const bytes = typeof body === "string" ? Buffer.from(body, "utf8") : body;
  res.writeHead(status, { "Content-Type": contentType, "Content-Length": bytes.length, "Cache-Control": "no-store", ...extra });
  res.end(res.req.method === "HEAD" ? undefined : bytes);
}
