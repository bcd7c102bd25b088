// Secrets never appear in any output (issue row 6): not in a rejected value's message, not in a
// log line, not in /metrics, the landing page, the hook files or the runner's environment, and
// not readable by the runner's user from /proc.
import { spawn } from "node:child_process";
import { chmodSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { createServer, type IncomingMessage, type Server } from "node:http";
import { afterEach, describe, expect, it } from "vitest";
import { bcryptHash, BIN, removeTempDirs, sleep, startSupervisor, stopAll, tempDir } from "../../helpers/index.js";

const TOKEN = "ghp_SECRETVALUE123";
const PASSWORD = "hunter2hunter2";

const servers: Server[] = [];
afterEach(async () => {
  await stopAll();
  for (const s of servers.splice(0)) s.close();
  removeTempDirs();
});
const start = startSupervisor;

describe("a rejected secret is described, never printed", () => {
  it.each([
    [
      "a token with a space inside, from the variable",
      { GITHUB_API_TOKEN: `ghp_SECRET VALUE123` },
      [],
      /invalid GITHUB_API_TOKEN \(value not shown: 19 characters\): expected/,
    ],
    [
      "a token with a space inside, from the flag",
      {},
      ["--github-api-token", "ghp_SECRET VALUE123"],
      /invalid --github-api-token \(value not shown: 19 characters\)/,
    ],
    [
      "a Pushgateway URL with a password and a query",
      { PUSHGATEWAY_URL: `http://ci:${PASSWORD}@gateway:9091/?x=1` },
      [],
      /invalid PUSHGATEWAY_URL="http:\/\/\*\*\*@gateway:9091\/\?x=1": expected/,
    ],
    [
      "an API URL with a password",
      { GITHUB_API_URL: `https://ci:${PASSWORD}@ghe.example.com/api/v3` },
      [],
      /invalid GITHUB_API_URL="https:\/\/\*\*\*@ghe\.example\.com\/api\/v3"/,
    ],
  ])("%s", async (_what, env, args, message) => {
    const s = start({ env, args });
    expect((await s.exit).code).toBe(78);
    expect(s.stderr()).toMatch(message);
    expect(s.stderr()).not.toContain("SECRET");
    expect(s.stderr()).not.toContain(PASSWORD);
  });

  it("row 6: a token with a trailing CR (a file written on Windows) is taken without it, and never printed", async () => {
    const s = start({ env: { GITHUB_API_TOKEN: `${TOKEN}\r`, METRICS_LINGER: "5" }, command: ["/bin/sh", "-c", "env"] });
    await s.port;
    expect(s.stderr()).not.toContain("SECRET");
    expect(s.stdout().toString()).not.toContain("SECRET");
  });
});

describe("an accepted secret stays out of sight", () => {
  it("the Pushgateway gets basic auth; logs, /metrics, /, hook files and the runner's environment never hold a secret", async () => {
    const seen: { url: string; auth: string | undefined }[] = [];
    const gateway = createServer((req: IncomingMessage, res) => {
      seen.push({ url: req.url ?? "", auth: req.headers.authorization });
      req.resume();
      req.on("end", () => res.end());
    });
    servers.push(gateway);
    const port = await new Promise<number>((r) => gateway.listen(0, "127.0.0.1", () => r((gateway.address() as { port: number }).port)));
    const hookDump = 'cat "$ACTIONS_RUNNER_HOOK_JOB_STARTED" "$ACTIONS_RUNNER_HOOK_JOB_COMPLETED" "$RUNNER_SUPERVISOR"; env; sleep 1';
    const s = start({
      env: { GITHUB_API_TOKEN: TOKEN, PUSHGATEWAY_URL: `http://ci:${PASSWORD}@127.0.0.1:${port}`, METRICS_LINGER: "10" },
      command: ["/bin/sh", "-c", hookDump],
    });
    await s.port;
    for (let i = 0; i < 100 && !/the runner exited/.test(s.stderr()); i++) await sleep(50);
    const metrics = await (await s.get("/metrics")).text();
    const landing = await (await s.get("/")).text();
    for (const text of [s.stderr(), s.stdout().toString(), metrics, landing]) {
      expect(text).not.toContain("SECRETVALUE");
      expect(text).not.toContain(PASSWORD);
    }
    expect(s.stdout().toString()).not.toMatch(/^(GITHUB_API_TOKEN|PUSHGATEWAY_URL)=/m);
    expect(s.stderr()).toContain(`pushed the first metrics to http://***@127.0.0.1:${port}`);
    expect(seen.length).toBeGreaterThanOrEqual(2);
    expect(seen.every((r) => r.auth === `Basic ${Buffer.from(`ci:${PASSWORD}`).toString("base64")}`)).toBe(true);
  });

  it.runIf(process.getuid?.() === 0)(
    "the runner's user cannot read the supervisor's environment from /proc while it holds a token or a web config (and can without one)",
    async () => {
      const home = tempDir("rs-secrets-home-");
      chmodSync(home, 0o755);
      const read = async (env: Record<string, string>) => {
        // Both run as nobody: the supervisor and the job, the way a runner image runs both as its runner user.
        const argv = [
          "--reuid=65534",
          "--regid=65534",
          "--clear-groups",
          "--",
          process.execPath,
          BIN,
          "--runner-home",
          home,
          "--no-metrics",
          "--",
          "/bin/sh",
          "-c",
          "if grep -qa MARKER_VARIABLE /proc/$PPID/environ 2>/dev/null; then echo readable; else echo unreadable; fi",
        ];
        const proc = spawn("setpriv", argv, {
          env: { PATH: process.env.PATH, MARKER_VARIABLE: "1", TMPDIR: "/tmp", ...env },
          stdio: ["ignore", "pipe", "pipe"],
        });
        let out = "";
        proc.stdout.on("data", (c: Buffer) => (out += c.toString()));
        await new Promise((r) => proc.once("exit", r));
        return out.trim();
      };
      expect(await read({})).toBe("readable");
      expect(await read({ GITHUB_API_TOKEN: TOKEN })).toBe("unreadable");
      // A web configuration file holds password hashes and may hold a private key.
      const web = join(home, "web.yml");
      writeFileSync(web, `basic_auth_users:\n  prometheus: ${bcryptHash("pw", 4)}\n`, { mode: 0o644 });
      expect(await read({ WEB_CONFIG_FILE: web })).toBe("unreadable");
    },
  );
});
