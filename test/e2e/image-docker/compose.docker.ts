import { spawn } from "node:child_process";
import { appendFileSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { Container, docker, sleep } from "./containers.js";
import { COMPOSE, DOCKER, run } from "./exec.mjs";
import { guideBlock, runGuideBlock } from "./guide.js";
import { IMAGES } from "./images.mjs";
import { imageSuite, suiteEngine } from "./suite.js";

// The compose files for real, with the guide's own commands (docker compose, run by docker-compose
// 1.29): the production file scaled to 2 beside the monitoring file's Prometheus, which must find
// both runners through the Docker socket and scrape them; stop_grace_period; taking them down.
const engine = suiteEngine();
const repository = join(imageSuite().userRepository, "runner-supervisor");
/** The shell's environment wins over compose/.env: none of the file's variables may come from the test's own. */
const envFileVariables = new Set(
  [...readFileSync(join(repository, "compose", ".env.example"), "utf8").matchAll(/^([A-Z][A-Z0-9_]*)=/gm)].map((m) => m[1]!),
);
const env = Object.fromEntries(Object.entries(engine.env).filter(([name]) => !envFileVariables.has(name)));
const guide = (name: string) => runGuideBlock(name, { cwd: repository, env, timeoutMs: 180_000 });
/** The alerts and the fleet recording rules the stack's Prometheus loads, by name. */
const rulesOf = (file: string) =>
  (
    parse(readFileSync(join(repository, "compose", "prometheus", file), "utf8")) as {
      groups: { rules: { alert?: string; record?: string }[] }[];
    }
  ).groups
    .flatMap((g) => g.rules)
    .map((r) => r.alert ?? r.record!);
const RULES = [...rulesOf("alerts.yml"), ...rulesOf("fleet-rules.yml")];

let runnerPorts: [number, number];
let prometheusPort: number;

/** Two consecutive free loopback ports and one more (for the runners' range and Prometheus). */
async function freePorts(): Promise<[number, number, number]> {
  const free = (port: number) =>
    new Promise<boolean>((resolve) => {
      const server = createServer().once("error", () => resolve(false));
      server.listen(port, "127.0.0.1", () => server.close(() => resolve(true)));
    });
  for (let i = 0; i < 200; i++) {
    const base = 20_000 + Math.floor(Math.random() * 20_000);
    if ((await free(base)) && (await free(base + 1)) && (await free(base + 2))) return [base, base + 1, base + 2];
  }
  throw new Error("no free ports");
}

/** The running containers of the runners' compose project (by compose's project label). */
async function runners(): Promise<Container[]> {
  const ids = (await docker(engine, ["ps", "-q", "--no-trunc", "--filter", "label=com.docker.compose.project=github-runners"])).stdout
    .split(/\s+/)
    .filter(Boolean);
  return ids.map((id) => new Container(engine, id));
}

async function prometheus<T>(path: string): Promise<T> {
  const res = await fetch(`http://127.0.0.1:${prometheusPort}${path}`, { signal: AbortSignal.timeout(5_000) });
  return ((await res.json()) as { data: T }).data;
}

interface Target {
  labels: Record<string, string>;
  health: string;
  lastError: string;
}

beforeAll(async () => {
  const [a, b, c] = await freePorts();
  runnerPorts = [a, b];
  prometheusPort = c;
  await guide("compose-env");
  // What a user fills in; the stand-in entrypoint.sh registers nothing, so the token is a placeholder.
  appendFileSync(
    join(repository, "compose", ".env"),
    [
      "",
      "# image tests",
      "GITHUB_TOKEN=placeholder-the-stand-in-registers-nothing",
      "GITHUB_REPOSITORY=octo-org/image-test",
      `RUNNER_METRICS_PORT=${a}-${b}`,
      `PROMETHEUS_PORT=${c}`,
      `PROMETHEUS_VERSION=${IMAGES.prometheus.split(":")[1]}`,
      `DOCKER_SOCKET=${engine.socket}`,
      `DOCKER_GID=${statSync(engine.socket).gid}`,
      "GRAFANA_ADMIN_PASSWORD=unused-grafana-is-not-started",
      // Docker's SIGKILL deadline, shortened so that a runner that hangs costs the test 3 s.
      "RUNNER_STOP_GRACE_PERIOD=3s",
      "",
    ].join("\n"),
  );
  await guide("network");
});

afterAll(async () => {
  for (const project of ["github-runners", "runner-monitoring"]) {
    await docker(engine, ["ps", "-aq", "--filter", `label=com.docker.compose.project=${project}`]).then(async (r) => {
      const ids = r.stdout.split(/\s+/).filter(Boolean);
      if (ids.length > 0) await docker(engine, ["rm", "-f", "-v", ...ids]);
    });
  }
  await docker(engine, ["network", "rm", "runners"], { allowFailure: true });
});

describe("every compose file, as docker-compose itself reads it (its own schema: docker-compose config)", () => {
  const files = [
    "docker-compose.production.yml",
    "docker-compose.chrome.yml",
    "docker-compose.chrome-go.yml",
    "docker-compose.monitoring.yml",
  ];

  it.each(files)("%s is valid", async (file) => {
    const r = await run([COMPOSE, "-f", join("compose", file), "config", "-q"], { cwd: repository, env, allowFailure: true });
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
  });

  it("and a broken file is rejected, naming what is wrong", async () => {
    const broken = join(repository, "compose", "broken.yml");
    writeFileSync(broken, 'services:\n  runner:\n    image: x\n    ports: "9091"\n    stop_grace_period: 60\n');
    const r = await run([COMPOSE, "-f", broken, "config", "-q"], { cwd: repository, env, allowFailure: true });
    rmSync(broken);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/ports contains an invalid type/);
  });
});

describe("docker-compose.production.yml scaled to 2 and docker-compose.monitoring.yml's Prometheus", () => {
  it("come up with the guide's commands, each runner serving its metrics on its own loopback port", async () => {
    const up = await guide("compose-up");
    expect(up.code).toBe(0);
    const started = await runners();
    expect(started).toHaveLength(2);
    const ports = await Promise.all(started.map((r) => r.hostPort()));
    expect(ports.sort((x, y) => x - y)).toEqual(runnerPorts);
    for (const r of started) {
      const m = await r.waitForMetrics((s) => s.value("github_runner_status") === 1);
      expect(m.value("github_runner_info", { version: "2.336.0", runner_type: "standard" })).toBe(1);
    }
  });

  it("Prometheus discovers both runners through the Docker socket, scrapes them over the runners network and loads the alert and fleet rules", async () => {
    const deadline = Date.now() + 90_000;
    let targets: Target[] = [];
    while (Date.now() < deadline) {
      try {
        targets = (await prometheus<{ activeTargets: Target[] }>("/api/v1/targets")).activeTargets.filter(
          (t) => t.labels.job === "github-runners",
        );
        if (targets.length === 2 && targets.every((t) => t.health === "up")) break;
      } catch {
        // not listening yet
      }
      await sleep(1_000);
    }
    expect(targets.map((t) => [t.labels.compose_service, t.health, t.lastError])).toEqual([
      ["runner", "up", ""],
      ["runner", "up", ""],
    ]);
    const hostnames = await Promise.all((await runners()).map(async (r) => (await r.inspect()).Config.Hostname));
    const series = (await prometheus<{ result: { metric: Record<string, string> }[] }>("/api/v1/query?query=github_runner_status")).result;
    expect(series.map((s) => s.metric.runner_name).sort()).toEqual(hostnames.sort());

    const groups = (await prometheus<{ groups: { file: string; rules: { name: string; health: string }[] }[] }>("/api/v1/rules")).groups;
    const rules = groups.flatMap((g) => g.rules);
    expect(rules.map((r) => r.name).sort()).toEqual([...RULES].sort());
    expect(rules.every((r) => r.health !== "err")).toBe(true);
  });

  it("either project goes down while the other still runs (the runners network outlives both)", async () => {
    const down = await runMonitoringDown();
    expect(down.code).toBe(0);
    expect(await runners()).toHaveLength(2);
    // Back up for the next test.
    await guide("compose-up");
  });

  it("docker compose down gives each runner stop_grace_period: a clean stop at once, a hung runner SIGKILLed at the deadline", async () => {
    const [clean, hung] = await runners();
    for (const r of [clean!, hung!]) {
      const c = (await r.inspect()).Config;
      expect([c.StopSignal, c.StopTimeout]).toEqual(["SIGTERM", 3]);
    }
    await hung!.control("ignore-stop");
    const deaths = watchDeaths();
    // docker events only reports what happens after it has subscribed.
    await sleep(500);
    const started = Date.now();
    const down = await guide("compose-down");
    const died = deaths.stop();
    expect(down.code).toBe(0);
    const byId = (id: string) => died.find((d) => d.id === id);
    // run.sh's code after its clean stop (docs/DOCKER_IMAGE.md, "What a stop returns").
    expect(byId(clean!.id)?.exitCode).toBe("143");
    // At once: long before the hung one's deadline, both stopped by the same command. (Not measured
    // from the command's start: docker-compose itself takes seconds to start on a busy machine.)
    expect(byId(hung!.id)!.at - byId(clean!.id)!.at).toBeGreaterThan(1_500);
    expect(byId(hung!.id)?.exitCode).toBe("137");
    expect(byId(hung!.id)!.at - started).toBeGreaterThanOrEqual(2_900);
    expect(byId(hung!.id)!.at - started).toBeLessThan(20_000);
    expect(await runners()).toHaveLength(0);
    const left = (await docker(engine, ["ps", "-aq", "--filter", "label=com.docker.compose.project=runner-monitoring"])).stdout.trim();
    expect(left).toBe("");
    await guide("network-rm");
    expect((await docker(engine, ["network", "ls", "--format", "{{.Name}}"])).stdout.split("\n")).not.toContain("runners");
  });
});

/** The monitoring project's line of the guide's compose-down block, run alone. */
function runMonitoringDown() {
  const line = guideBlock("compose-down")
    .split("\n")
    .find((l) => l.includes("runner-monitoring"));
  if (!line) throw new Error("the guide's compose-down block does not take the monitoring project down");
  return run(["bash", "-e", "-o", "pipefail", "-c", line], { cwd: repository, env, timeoutMs: 120_000, allowFailure: true });
}

/** Collects the containers that die from now on (docker events), with their exit codes and times. */
function watchDeaths(): { stop(): { id: string; exitCode: string | undefined; at: number }[] } {
  const events: { id: string; exitCode: string | undefined; at: number }[] = [];
  const child = spawn(DOCKER, ["events", "--format", "{{json .}}", "--filter", "type=container", "--filter", "event=die"], {
    env: engine.env,
  });
  let buffered = "";
  child.stdout.on("data", (chunk: Buffer) => {
    buffered += chunk.toString("utf8");
    const lines = buffered.split("\n");
    buffered = lines.pop()!;
    for (const line of lines) {
      const e = JSON.parse(line) as { id: string; timeNano: number; Actor: { Attributes: Record<string, string> } };
      events.push({ id: e.id, exitCode: e.Actor.Attributes.exitCode, at: e.timeNano / 1e6 });
    }
  });
  return {
    stop: () => {
      child.kill();
      return events;
    },
  };
}
