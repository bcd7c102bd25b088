// A GET over TLS, with basic auth and a client certificate when asked.
import { readFileSync } from "node:fs";
import { request as httpsRequest, type Agent as HttpsAgent } from "node:https";

/** An answer of the endpoint over TLS. */
export interface TlsAnswer {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: string;
}

export interface TlsGetOptions {
  /** The CA file the server's certificate is checked against. */
  readonly ca: string;
  readonly user?: string;
  readonly password?: string;
  /** A client certificate and its key (files). */
  readonly cert?: string;
  readonly key?: string;
  /** A keep-alive agent to reuse a connection; without, a connection of its own. */
  readonly agent?: HttpsAgent;
}

/** GET https://127.0.0.1:port/path, verifying the server against `ca`; rejects when the connection fails. */
export function httpsGet(port: number, path: string, o: TlsGetOptions): Promise<TlsAnswer> {
  return new Promise((resolve, reject) => {
    const req = httpsRequest(
      {
        host: "127.0.0.1",
        port,
        path,
        ca: readFileSync(o.ca),
        ...(o.cert && o.key ? { cert: readFileSync(o.cert), key: readFileSync(o.key) } : {}),
        ...(o.user !== undefined ? { auth: `${o.user}:${o.password ?? ""}` } : {}),
        agent: o.agent ?? false,
        timeout: 10_000,
      },
      (res) => {
        let body = "";
        res.on("data", (c: Buffer) => (body += c.toString("utf8")));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      },
    );
    req.on("timeout", () => req.destroy(new Error("timed out")));
    req.on("error", reject);
    req.end();
  });
}
