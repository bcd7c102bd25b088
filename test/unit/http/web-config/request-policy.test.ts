// The per-request rules of a web configuration file, over real HTTP: the loopback's plain /health,
// TLS required, rate_limit, basic auth and the configured headers. The connection's facts
// (encrypted or not, from where) are given by the test, as the request gate gives them.
import { createServer, request, type Server } from "node:http";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { ConnectionFacts } from "../../../../src/http/guard.js";
import { BasicAuth, CredentialCache } from "../../../../src/http/web-config/basic-auth.js";
import { PasswordChecker } from "../../../../src/http/web-config/password-checker.js";
import { admit, type Policy } from "../../../../src/http/web-config/request-policy.js";
import { NetworkBudget, TokenBucket } from "../../../../src/http/web-config/budgets.js";
import { bcryptHash, PASSWORD_WORKER } from "../../../helpers/index.js";

const servers: Server[] = [];
let checker: PasswordChecker;
let hash: string;
beforeAll(() => {
  checker = new PasswordChecker(PASSWORD_WORKER, { maxWaiting: 4, idleMs: 60_000 });
  hash = bcryptHash("pw", 4);
});
afterAll(() => checker.close());
afterEach(() => {
  for (const s of servers.splice(0)) s.close();
});

/** A server that answers 200 "routed" to what the policy lets through, on a connection with these facts. */
async function serve(policy: Policy, facts: ConnectionFacts): Promise<number> {
  const server = createServer((req, res) => {
    void Promise.resolve(admit(policy, req, res, facts)).then((go) => {
      if (go) res.end("routed");
    });
  });
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return (server.address() as { port: number }).port;
}

function get(port: number, path: string, auth?: string): Promise<{ status: number; headers: Record<string, unknown>; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: "127.0.0.1", port, path, agent: false, ...(auth ? { auth } : {}) }, (res) => {
      let body = "";
      res.on("data", (c: Buffer) => (body += c.toString()));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on("error", reject);
    req.end();
  });
}

const facts = (encrypted: boolean, remoteAddress: string): ConnectionFacts & { proven: boolean } => ({
  encrypted,
  remoteAddress,
  network: remoteAddress,
  proven: false,
  prove() {
    this.proven = true;
  },
});
const plainLoopback = facts(false, "127.0.0.1");
const plainRemote = facts(false, "10.1.2.3");
const tlsRemote = facts(true, "10.1.2.3");
const headers = new Map([["X-Frame-Options", "deny"]]);

describe("admit", () => {
  it("with TLS on: plain GET /health from the loopback is let through, anything else plain gets 400 and close", async () => {
    const policy: Policy = { tls: true, headers, rateLimit: undefined, auth: undefined };
    const loopback = await serve(policy, plainLoopback);
    expect((await get(loopback, "/health")).body).toBe("routed");
    expect((await get(loopback, "/health?verbose")).body).toBe("routed");
    const refused = await get(loopback, "/metrics");
    expect(refused.status).toBe(400);
    expect(refused.headers.connection).toBe("close");
    expect(refused.body).toMatch(/use https:\/\//);
    expect((await get(await serve(policy, facts(false, "::ffff:127.0.0.1")), "/health")).body).toBe("routed");
    expect((await get(await serve(policy, plainRemote), "/health")).status).toBe(400);
    expect((await get(await serve(policy, tlsRemote), "/metrics")).body).toBe("routed");
  });

  it("sets the configured headers on what it lets through and on what it refuses", async () => {
    const policy: Policy = { tls: true, headers, rateLimit: undefined, auth: undefined };
    expect((await get(await serve(policy, tlsRemote), "/metrics")).headers["x-frame-options"]).toBe("deny");
    expect((await get(await serve(policy, plainRemote), "/metrics")).headers["x-frame-options"]).toBe("deny");
  });

  it("rate_limit: its burst, then 429 with Retry-After until the interval has passed; the loopback's plain /health is not limited", async () => {
    let now = 0;
    const policy: Policy = { tls: false, headers: new Map(), rateLimit: new TokenBucket(1, 2, () => now), auth: undefined };
    const port = await serve(policy, plainRemote);
    const statuses = [];
    for (let i = 0; i < 3; i++) statuses.push((await get(port, "/metrics")).status);
    expect(statuses).toEqual([200, 200, 429]);
    const limited = await get(port, "/metrics");
    expect(limited.headers["retry-after"]).toBe("1");
    expect((await get(await serve(policy, plainLoopback), "/health")).status).toBe(200);
    now += 1000;
    expect((await get(port, "/metrics")).status).toBe(200);
  });

  it("basic auth: 401 with WWW-Authenticate: Basic, 200 with the password, 429 when the check budget is spent", async () => {
    const budget = new NetworkBudget({ perSecond: 0, burst: 2 / 64, perNetworkPerSecond: 0, perNetworkBurst: 2 / 64, reserve: 0 }, () => 0);
    const policy: Policy = {
      tls: false,
      headers: new Map(),
      rateLimit: undefined,
      auth: new BasicAuth(new Map([["alice", hash]]), new CredentialCache(), budget, checker),
    };
    const port = await serve(policy, plainRemote);
    const none = await get(port, "/metrics");
    expect(none.status).toBe(401);
    expect(none.headers["www-authenticate"]).toBe("Basic");
    expect((await get(port, "/metrics", "alice:pw")).body).toBe("routed");
    expect((await get(port, "/metrics", "alice:wrong")).status).toBe(401);
    const busy = await get(port, "/metrics", "alice:other");
    expect(busy.status).toBe(429);
    expect(busy.headers["retry-after"]).toBe("1");
    expect((await get(port, "/metrics", "alice:pw")).body).toBe("routed");
    expect((await get(await serve(policy, plainLoopback), "/health")).body).toBe("routed");
  });
});
