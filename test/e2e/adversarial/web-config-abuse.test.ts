// An endpoint with TLS and basic auth under attack, against the production form (bundle on Node 24),
// while a fuzzed runner prints: a flood of wrong passwords on keep-alive TLS connections and a
// flood of half-open TLS handshakes, each from one network other than the scraper's (budgets count by /24). The runner's output still passes byte for byte, Prometheus's
// credentials are still let in, and the work the attackers cause stays within the budgets.
import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { Agent } from "node:https";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PASSWORD_CHECKS } from "../../../src/http/web-config/basic-auth.js";
import { HANDSHAKES } from "../../../src/http/web-config/tls.js";
import {
  bcryptHash,
  FIXTURES,
  httpsGet,
  makeCertificates,
  parseSamples,
  removeTempDirs,
  stopAll,
  tempDir,
  type TestCertificates,
} from "../../helpers/index.js";
import { sleep, startProduction } from "./harness.js";

const PASSWORD = "the scraper's password";
const FLOOD_SECONDS = 10;
const sha256 = (b: Buffer) => createHash("sha256").update(b).digest("hex");

let certs: TestCertificates;
let webConfig: string;
beforeAll(() => {
  certs = makeCertificates(tempDir("web-abuse-"));
  webConfig = join(certs.dir, "web.yml");
  writeFileSync(
    webConfig,
    `tls_server_config:\n  cert_file: server.pem\n  key_file: server.key\nbasic_auth_users:\n  prometheus: ${bcryptHash(PASSWORD)}\n`,
  );
});
afterAll(async () => {
  await stopAll();
  removeTempDirs();
});

/** An attacker process (test/fixtures/adversarial/web-flood.mjs); resolves with what it reports. */
function flood<T>(port: number, localAddress: string, mode: "passwords" | "handshakes"): Promise<T> {
  const proc = spawn(
    process.execPath,
    [join(FIXTURES, "adversarial", "web-flood.mjs"), String(port), certs.caCert, localAddress, String(FLOOD_SECONDS), mode],
    { stdio: ["ignore", "pipe", "inherit"] },
  );
  let out = "";
  proc.stdout.on("data", (c: Buffer) => (out += c.toString()));
  return new Promise((resolve, reject) =>
    proc.once("exit", (code) => (code === 0 ? resolve(JSON.parse(out) as T) : reject(new Error(`web-flood ${mode} exited ${code}`)))),
  );
}

/** CPU seconds of a process's main thread and of all its other threads together, from /proc. */
function cpuOf(pid: number): { main: number; others: number } {
  const seconds = (stat: string) => {
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(fields[11]) + Number(fields[12])) / 100;
  };
  let main = 0;
  let others = 0;
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      const s = seconds(readFileSync(`/proc/${pid}/task/${tid}/stat`, "utf8"));
      if (Number(tid) === pid) main = s;
      else others += s;
    } catch {
      // The thread ended between the listing and the read.
    }
  }
  return { main, others };
}

describe("wrong passwords and half-open handshakes while the runner prints", () => {
  it("the output passes byte for byte, the scraper is answered, and the attackers get no more than the budgets", async () => {
    const dir = tempDir("web-abuse-fuzz-");
    const summaryFile = join(dir, "summary.json");
    const go = join(dir, "go");
    const s = startProduction({
      command: [process.execPath, join(FIXTURES, "adversarial", "fuzz-runner.mjs")],
      env: {
        FUZZ_SUMMARY: summaryFile,
        FUZZ_GO: go,
        FUZZ_LINES: "300000",
        FUZZ_SECONDS: String(FLOOD_SECONDS + 2),
        METRICS_LINGER: "60",
        WEB_CONFIG_FILE: webConfig,
      },
    });
    const stderr: Buffer[] = [];
    s.proc.stderr!.on("data", (c: Buffer) => stderr.push(c));
    const port = await s.port;
    const pid = s.proc.pid!;

    // Prometheus has scraped before the attack: its credentials were checked once and are cached.
    const prometheus = new Agent({ keepAlive: true, maxSockets: 1 });
    const scrape = (agent: Agent | undefined) =>
      httpsGet(port, "/metrics", { ca: certs.caCert, user: "prometheus", password: PASSWORD, ...(agent ? { agent } : {}) }).then(
        (a) => a.status,
        () => 0,
      );
    expect(await scrape(prometheus)).toBe(200);

    const cpuBefore = cpuOf(pid);
    const t0 = Date.now();
    writeFileSync(go, "");
    const passwords = flood<{ statuses: Record<string, number> }>(port, "127.0.2.2", "passwords");
    const handshakes = flood<{ opened: number; answered: number }>(port, "127.0.3.3", "handshakes");
    const scrapes: number[] = [];
    while (Date.now() - t0 < FLOOD_SECONDS * 1000) {
      // On the connection Prometheus keeps, and on a new one (a new handshake) as after a restart of it.
      scrapes.push(await scrape(prometheus), await scrape(undefined));
      await sleep(500);
    }
    const [password, handshake] = await Promise.all([passwords, handshakes]);
    const wall = (Date.now() - t0) / 1000;
    const cpuAfter = cpuOf(pid);
    prometheus.destroy();

    const tail = () => Buffer.concat(stderr.slice(-4)).toString("latin1");
    for (let i = 0; i < 1200 && !tail().includes("the runner exited"); i++) await sleep(50);
    const expected = JSON.parse(readFileSync(summaryFile, "utf8")) as {
      stdout: { bytes: number; sha256: string };
      stderr: { bytes: number; sha256: string };
      jobs: Record<string, number>;
    };

    const checked = password.statuses["401"] ?? 0;
    const refused = password.statuses["429"] ?? 0;
    const main = cpuAfter.main - cpuBefore.main;
    const others = cpuAfter.others - cpuBefore.others;
    console.log(
      `web config under attack for ${wall.toFixed(1)} s: supervisor CPU ${(((main + others) / wall) * 100).toFixed(0)} % of a core ` +
        `(main thread ${((main / wall) * 100).toFixed(0)} %, other threads ${((others / wall) * 100).toFixed(0)} %); ` +
        `wrong passwords: ${checked} checked, ${refused} refused at once (429); half-open handshakes: ${handshake.opened} opened, ${handshake.answered} answered; ` +
        `${scrapes.filter((c) => c === 200).length}/${scrapes.length} scrapes answered`,
    );

    // The scraper: every scrape answered, on its kept connection and on new ones.
    expect(scrapes.every((c) => c === 200)).toBe(true);
    // Passwords: only 401 (checked) and 429 (refused without a check); the checks within one address's budget.
    expect(Object.keys(password.statuses).sort()).toEqual(["401", "429"]);
    expect(checked).toBeLessThanOrEqual(PASSWORD_CHECKS.perNetworkBurst + PASSWORD_CHECKS.perNetworkPerSecond * wall + 1);
    expect(refused).toBeGreaterThan(checked);
    // Handshakes: the server did its side of a handshake only within one address's budget; the rest were closed unanswered.
    expect(handshake.answered).toBeLessThanOrEqual(HANDSHAKES.perNetworkBurst + HANDSHAKES.perNetworkPerSecond * wall + 1);
    expect(handshake.opened).toBeGreaterThan(handshake.answered);

    // The runner: both streams byte for byte, every job counted.
    const out = s.stdout();
    expect(out.length).toBe(expected.stdout.bytes);
    expect(sha256(out)).toBe(expected.stdout.sha256);
    const err = Buffer.concat(stderr);
    const first = err.indexOf(0x0a) + 1;
    expect(err.subarray(0, first).toString()).toMatch(/^runner-supervisor: serving metrics on https:/);
    expect(sha256(err.subarray(first, first + expected.stderr.bytes))).toBe(expected.stderr.sha256);
    const metrics = parseSamples((await httpsGet(port, "/metrics", { ca: certs.caCert, user: "prometheus", password: PASSWORD })).body);
    for (const [status, count] of Object.entries(expected.jobs))
      expect(metrics.value("github_runner_jobs_total", { status }), status).toBe(count);
  }, 90_000);
});
