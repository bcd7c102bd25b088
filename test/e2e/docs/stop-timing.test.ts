// One stop-timing story: docs/PID1.md states the arithmetic once ("Stop timing"); this holds it to
// the runner's own shutdown and to the supervisor's code, holds every compose file, guide and the
// Dockerfile fragment to its two figures, and measures the supervisor's wind-down for real.
import { readdirSync, readFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { PUSH_WAIT_FOR_LOOKUPS_MS } from "../../../src/after-exit.js";
import { OPTIONS } from "../../../src/config/options.js";
import { OUTPUT_DEADLINE_MS } from "../../../src/process/settle-output.js";
import { PUSH_TIMEOUT_MS } from "../../../src/push/pusher.js";
import { FakeGitHub } from "../../fixtures/fake-github.js";
import {
  FIXTURES,
  layoutEnv,
  removeTempDirs,
  ROOT,
  RUNNER_LAYOUT,
  startSupervisor,
  stopSupervisor,
  tempDir,
  until,
  type Running,
} from "../../helpers/index.js";

// The runner's listener exits within 30 s of being told to stop; the worker's stopping of step
// processes (SIGINT, SIGTERM 7.5 s later, SIGKILL 2.5 s after that) runs inside those 30 s.
const RUNNER_SHUTDOWN_SECONDS = 30;

const read = (path: string) => readFileSync(join(ROOT, path), "utf8");

/** The four lines of the story in docs/PID1.md, as numbers of seconds. */
function story(): { runner: number; escalation: number; windDown: number; docker: number } {
  const pid1 = read("docs/PID1.md");
  const section = pid1.slice(pid1.indexOf("## Stop timing"));
  const figure = (label: string) => {
    const m = new RegExp(`^${label}\\s+(\\d+) s\\b`, "m").exec(section);
    expect(m, `docs/PID1.md's stop timing has no line "${label}  N s"`).not.toBeNull();
    return Number(m![1]);
  };
  return {
    runner: figure("runner's own shutdown"),
    escalation: figure("STOP_GRACE_PERIOD"),
    windDown: figure("supervisor's wind-down"),
    docker: figure("Docker's stop timeout"),
  };
}

/** Compose durations (45s, 10m45s, 1h) in seconds. */
function seconds(duration: string): number {
  const parts = [...duration.matchAll(/(\d+)(h|m|s)/g)];
  expect(parts.map((p) => p[0]).join(""), `duration ${duration}`).toBe(duration);
  return parts.reduce((sum, p) => sum + Number(p[1]) * { h: 3600, m: 60, s: 1 }[p[2] as "h" | "m" | "s"], 0);
}

/** Every file that tells users how long a stop takes. */
const GUIDES = [
  "README.md",
  "Dockerfile.fragment",
  "compose/.env.example",
  ...readdirSync(join(ROOT, "docs")).map((f) => `docs/${f}`),
  ...readdirSync(join(ROOT, "compose"))
    .filter((f) => f.endsWith(".yml"))
    .map((f) => `compose/${f}`),
];
const RUNNER_COMPOSE_FILES = ["docker-compose.production.yml", "docker-compose.chrome.yml", "docker-compose.chrome-go.yml"];

/** Docker stop timeouts a text gives, in seconds, each with where it was found. */
function dockerTimeouts(text: string): { value: number; what: string }[] {
  const found: { value: number; what: string }[] = [];
  const forms = [
    /stop_grace_period: (\d+[hms][\dhms]*)/g,
    /RUNNER_STOP_GRACE_PERIOD=(\d+[hms][\dhms]*)/g,
    /\$\{RUNNER_STOP_GRACE_PERIOD:-(\d+[hms][\dhms]*)\}/g,
    /--stop-timeout[ =](\d+)/g,
    /docker stop -t (\d+)/g,
    /terminationGracePeriodSeconds: (\d+)/g,
  ];
  for (const form of forms) {
    for (const m of text.matchAll(form)) found.push({ value: /^\d+$/.test(m[1]!) ? Number(m[1]) : seconds(m[1]!), what: m[0] });
  }
  return found;
}

/** Values given to STOP_GRACE_PERIOD itself (not RUNNER_STOP_GRACE_PERIOD, Docker's). */
function escalations(text: string): { value: number; what: string }[] {
  const forms = [
    /(?<!RUNNER_)STOP_GRACE_PERIOD[=:] ?"?(\d+)/g,
    /(?<!RUNNER_)STOP_GRACE_PERIOD`? \(\**(\d+) s/g,
    /\| `STOP_GRACE_PERIOD` \|(?: `[^`]*` \|)? `?(\d+)`? \|/g,
  ];
  return forms.flatMap((form) => [...text.matchAll(form)].map((m) => ({ value: Number(m[1]), what: m[0] })));
}

describe("the stop-timing story (docs/PID1.md)", () => {
  const s = story();

  it("follows from the runner's shutdown and the supervisor's own timeouts", () => {
    expect(s.runner).toBe(RUNNER_SHUTDOWN_SECONDS);
    expect(s.escalation).toBe(OPTIONS.stopGracePeriod.defaultValue());
    expect(s.escalation).toBeGreaterThan(s.runner);
    // After an escalation: the runner's last output, then the queue-time look-ups and the final push.
    expect(s.windDown).toBe((OUTPUT_DEADLINE_MS + PUSH_WAIT_FOR_LOOKUPS_MS + PUSH_TIMEOUT_MS) / 1000);
    expect(s.docker).toBeGreaterThan(s.escalation + s.windDown);
    expect(s.docker - (s.escalation + s.windDown)).toBeLessThanOrEqual(2);
  });

  it.each(RUNNER_COMPOSE_FILES)("is what %s uses", (file) => {
    const compose = parse(read(`compose/${file}`)) as {
      services: Record<string, { environment: Record<string, string>; stop_grace_period: string; stop_signal: string }>;
    };
    for (const service of Object.values(compose.services)) {
      expect(service.environment.STOP_GRACE_PERIOD).toBe(String(s.escalation));
      expect(service.stop_signal).toBe("SIGTERM");
      expect(dockerTimeouts(`stop_grace_period: ${service.stop_grace_period}`).map((t) => t.value)).toEqual([s.docker]);
    }
  });

  it("is what compose/.env.example sets", () => {
    const env = Object.fromEntries([...read("compose/.env.example").matchAll(/^([A-Z_]+)=(.*)$/gm)].map((m) => [m[1]!, m[2]!]));
    expect(seconds(env.RUNNER_STOP_GRACE_PERIOD!)).toBe(s.docker);
  });

  it.each(GUIDES)("is the only one %s tells (Docker's timeout, or DRAIN_TIMEOUT more with draining)", (file) => {
    const text = read(file);
    const drains = [0, ...[...text.matchAll(/DRAIN_TIMEOUT=(\d+)/g)].map((m) => Number(m[1]))];
    for (const t of dockerTimeouts(text))
      expect(
        drains.map((d) => d + s.docker),
        `${file}: ${t.what}`,
      ).toContain(t.value);
    // 0 turns escalation off (tini's behaviour); any other value is the story's.
    for (const e of escalations(text)) expect([0, s.escalation], `${file}: ${e.what}`).toContain(e.value);
    // The worker's seconds are part of the listener's 30, never added to them.
    expect(text, file).not.toMatch(/10 s more|30 s (?:plus|\+) 10 s/);
  });

  it("finds the figures it checks (a guide that changes its wording must not slip past)", () => {
    const all = GUIDES.map(read).join("\n");
    expect(dockerTimeouts(all).length).toBeGreaterThanOrEqual(10);
    expect(escalations(all).length).toBeGreaterThanOrEqual(6);
    expect(dockerTimeouts("stop_grace_period: 60s\ndocker stop -t 40").map((t) => t.value)).toEqual([60, 40]);
    expect(escalations('STOP_GRACE_PERIOD: "40"').map((t) => t.value)).toEqual([40]);
  });
});

describe("the supervisor's wind-down after an escalation, measured", () => {
  let github: FakeGitHub | undefined;
  let gateway: Server | undefined;
  const held: Socket[] = [];
  let r: Running | undefined;
  afterAll(async () => {
    await stopSupervisor(r);
    await github?.stop();
    for (const socket of held) socket.destroy();
    gateway?.close();
    removeTempDirs();
  });

  it("stays within the story's wind-down with a hung runner, a hung GitHub API and a hung Pushgateway", async () => {
    const s = story();
    github = new FakeGitHub().answer({ hang: true });
    const api = await github.start();
    // A Pushgateway that takes the first push (at start) and never answers the next.
    gateway = createServer((req, res) => {
      held.push(req.socket);
      if (held.length === 1) req.resume().on("end", () => res.end());
    });
    await new Promise<void>((resolve) => gateway!.listen(0, "127.0.0.1", resolve));
    const gatewayPort = (gateway.address() as AddressInfo).port;
    const escalation = 1;
    r = startSupervisor({
      runnerHome: join(FIXTURES, "context"),
      // A runner that ignores SIGTERM, in the middle of a long job whose queue-time look-up hangs.
      command: ["bash", "-c", "trap '' TERM; exec bash ./run.sh"],
      env: {
        STOP_GRACE_PERIOD: String(escalation),
        GITHUB_API_URL: api,
        GITHUB_API_TOKEN: "t",
        GITHUB_API_TIMEOUT: "60",
        PUSHGATEWAY_URL: `http://127.0.0.1:${gatewayPort}`,
        FAKE_JOB_SECONDS: "60",
      },
    });
    await r.port;
    await until(
      () => github!.requests.length > 0 && r!.stderr().includes("pushed the first metrics"),
      10_000,
      "the queue-time look-up and the first push",
    );
    const sent = performance.now();
    r.proc.kill("SIGTERM");
    const exit = await r.exit;
    const elapsed = (performance.now() - sent) / 1000;
    expect(exit.code).toBe(137);
    expect(r.stderr()).toContain(`the runner still runs ${escalation} s after SIGTERM: killing it`);
    expect(r.stderr()).toMatch(/pushing the final metrics to \S+ failed: no answer within 5000 ms/);
    console.log(`SIGTERM to exit: ${elapsed.toFixed(2)} s (escalation after ${escalation} s, then the wind-down)`);
    // Every wait of the wind-down was taken in full, and no more than the story allows for.
    expect(elapsed).toBeGreaterThan(escalation + (PUSH_WAIT_FOR_LOOKUPS_MS + PUSH_TIMEOUT_MS) / 1000 - 0.5);
    expect(elapsed).toBeLessThan(escalation + s.docker - s.escalation);
  }, 30_000);

  it("gives the exit codes docs/DOCKER_IMAGE.md documents for a stop, with the faithful stand-in run.sh", async () => {
    const guide = read("docs/DOCKER_IMAGE.md");
    const section = guide.slice(guide.indexOf("### What a stop returns"));
    const documented = /\*\*(\d+) after `docker stop`\s+\(SIGTERM\), (\d+) after SIGINT/.exec(section);
    expect(documented, "docs/DOCKER_IMAGE.md's 'What a stop returns' gives both codes").not.toBeNull();
    const zero = /^EXIT_CODES_TO_ZERO=([\d,]+)$/m.exec(section);
    expect(zero, "and the EXIT_CODES_TO_ZERO line").not.toBeNull();
    const cases: [NodeJS.Signals, Record<string, string>, number][] = [
      ["SIGTERM", {}, Number(documented![1])],
      ["SIGINT", {}, Number(documented![2])],
      ["SIGTERM", { EXIT_CODES_TO_ZERO: zero![1]! }, 0],
      ["SIGINT", { EXIT_CODES_TO_ZERO: zero![1]! }, 0],
    ];
    for (const [signal, extra, code] of cases) {
      r = startSupervisor({
        runnerHome: RUNNER_LAYOUT,
        env: { ...layoutEnv(tempDir()), FAKE_JOBS: "1", FAKE_STEP_SECONDS: "60", ...extra },
      });
      await until(() => r!.stdout().toString().includes("step ran as"), 20_000, "the job's step");
      r.proc.kill(signal);
      expect((await r.exit).code, `${signal} ${JSON.stringify(extra)}`).toBe(code);
      expect(r.stdout().toString()).toMatch(/Exiting runner\.\.\.\n[^]*completed with result: Canceled\n/);
    }
  }, 90_000);
});
