import { spawnSync } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { isAbsolute, join, posix, resolve } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { BUNDLE_FILE } from "../../../bin/build-bundle.mjs";
import { buildBundle, isolatedCopy, killAll, NODE20, removeTemps, ROOT, runHealthcheck, runSupervisor, tempDir } from "./helpers.js";

// Static checks of the compose files (no Docker engine runs here), the contract with the Prometheus configuration, and their health check run for real.
const COMPOSE = join(ROOT, "compose");

interface Service {
  image?: string;
  init?: boolean;
  container_name?: string;
  environment?: Record<string, string>;
  ports?: string[];
  labels?: Record<string, string>;
  networks?: string[];
  healthcheck?: { test?: string[]; interval?: string; timeout?: string };
  stop_grace_period?: string;
  stop_signal?: string;
  volumes?: string[];
}
interface ComposeFile {
  name?: string;
  services: Record<string, Service>;
  networks?: Record<string, { name?: string; external?: boolean }>;
}

const RUNNER_FILES = [
  { file: "docker-compose.production.yml", type: "standard", port: "${RUNNER_METRICS_PORT:-9091}" },
  { file: "docker-compose.chrome.yml", type: "chrome", port: "${CHROME_METRICS_PORT:-9092}" },
  { file: "docker-compose.chrome-go.yml", type: "chrome-go", port: "${CHROME_GO_METRICS_PORT:-9093}" },
] as const;
const ALL_FILES = [...RUNNER_FILES.map((r) => r.file), "docker-compose.monitoring.yml"];

const text = (file: string) => readFileSync(join(COMPOSE, file), "utf8");
const load = (file: string) => parse(text(file)) as ComposeFile;

/** Go duration as compose writes it (1m30s, 60s) in seconds. */
function seconds(duration: string): number {
  const parts = [...duration.matchAll(/(\d+(?:\.\d+)?)(h|ms|m|s)/g)];
  expect(parts.map((p) => p[0]).join(""), `duration ${duration}`).toBe(duration);
  const unit = { h: 3600, m: 60, s: 1, ms: 0.001 } as const;
  return parts.reduce((sum, p) => sum + Number(p[1]) * unit[p[2] as keyof typeof unit], 0);
}

/** Compose's interpolation of ${VAR}, ${VAR:-default} and ${VAR:?error} (unset or empty counts as unset). */
function interpolate(value: string, vars: Record<string, string>): string {
  return value.replace(/\$\{([A-Z][A-Z0-9_]*)(?::([-?])([^}]*))?\}/g, (_, name: string, op?: string, arg?: string) => {
    const set = vars[name];
    if (set !== undefined && set !== "") return set;
    if (op === "?") throw new Error(`${name} is required: ${arg}`);
    return op === "-" ? (arg ?? "") : "";
  });
}

const ENV_EXAMPLE = Object.fromEntries(
  [...readFileSync(join(COMPOSE, ".env.example"), "utf8").matchAll(/^([A-Z][A-Z0-9_]*)=(.*)$/gm)].map((m) => [m[1]!, m[2]!]),
);

/** Bind mounts of a service as [host source, container target], relative to the compose directory (variables at their defaults). */
function binds(service: Service): [string, string][] {
  return (service.volumes ?? [])
    .map((v) => interpolate(v, {}).split(":"))
    .filter(([source]) => source!.startsWith(".") || source!.startsWith("/"))
    .map(([source, target]) => [source!, target!]);
}

// Their validity against Compose's own schema is checked by docker-compose itself, in the engine
// tests (test/e2e/image-docker/compose.docker.ts: docker-compose config), not from a copy of it here.
describe("compose files", () => {
  it.each(ALL_FILES)(
    "%s has no top-level name (docker-compose 1.29 rejects it; the project comes from -p) and joins the runners network made once per host",
    (file) => {
      const compose = load(file);
      expect(compose.name).toBeUndefined();
      expect(text(file)).toMatch(/^#\s+docker compose -p [\w-]+ -f compose\//m);
      expect(compose.networks).toEqual({ runners: { name: "runners", external: true } });
    },
  );
});

describe.each(RUNNER_FILES)("$file", ({ file, type, port }) => {
  const compose = load(file);
  const services = Object.entries(compose.services);

  it("runs one scalable runner service of its type on the runners network", () => {
    expect(services).toHaveLength(1);
    const [, runner] = services[0]!;
    expect(runner.environment?.RUNNER_TYPE).toBe(type);
    expect(runner.container_name).toBeUndefined();
    expect(runner.environment?.RUNNER_NAME).toBeUndefined();
    expect(runner.init).toBe(false);
    expect(runner.networks).toEqual(["runners"]);
    expect(compose.networks?.runners?.name).toBe("runners");
  });

  it("publishes 9091 on loopback under its variable and carries the scrape labels", () => {
    const [, runner] = services[0]!;
    expect(runner.ports).toEqual([`127.0.0.1:${port}:9091`]);
    expect(runner.labels).toEqual({ "io.runner-supervisor.scrape": "true", "io.runner-supervisor.port": "9091" });
    expect(runner.environment?.METRICS_PORT).toBe("9091");
  });

  it("checks /health", () => {
    const [, runner] = services[0]!;
    expect(runner.healthcheck?.test?.[0]).toBe("CMD");
    expect(runner.healthcheck?.test?.join(" ")).toContain("/health");
  });

  it.each([
    ["the defaults", {}],
    [".env.example", ENV_EXAMPLE],
    [
      "draining as .env.example describes it",
      { ...ENV_EXAMPLE, RUNNER_DRAIN_ENABLED: "true", RUNNER_DRAIN_TIMEOUT: "600", RUNNER_STOP_GRACE_PERIOD: "645s" },
    ],
  ])("with %s, Docker's SIGKILL comes only after draining and the supervisor's escalation", (_, vars: Record<string, string>) => {
    const [, runner] = services[0]!;
    expect(runner.stop_signal).toBe("SIGTERM");
    const env = (name: string) => interpolate(runner.environment?.[name] ?? "", vars);
    // The runner needs up to 30 s after SIGTERM (the worker's stopping of steps included); the
    // supervisor up to 9 s after escalating (docs/PID1.md, "Stop timing"; test/e2e/docs/stop-timing.test.ts).
    const escalation = Number(env("STOP_GRACE_PERIOD"));
    expect(escalation).toBeGreaterThan(30);
    const drain = env("DRAIN_ENABLED") === "true" ? Number(env("DRAIN_TIMEOUT")) : 0;
    const dockerGrace = seconds(interpolate(runner.stop_grace_period ?? "10s", vars));
    expect(dockerGrace).toBeGreaterThanOrEqual(drain + escalation + 10);
  });
});

describe("docker-compose.monitoring.yml", () => {
  const compose = load("docker-compose.monitoring.yml");
  const { prometheus, grafana } = compose.services;

  it("mounts the Prometheus and Grafana files the contract names, read-only", () => {
    expect(prometheus?.volumes).toEqual(
      expect.arrayContaining([
        "./prometheus/prometheus.yml:/etc/prometheus/prometheus.yml:ro",
        "./prometheus/alerts.yml:/etc/prometheus/alerts.yml:ro",
        "${DOCKER_SOCKET:-/var/run/docker.sock}:/var/run/docker.sock:ro",
      ]),
    );
    expect(grafana?.volumes).toEqual(
      expect.arrayContaining([
        "../grafana/provisioning:/etc/grafana/provisioning:ro",
        "../grafana/dashboards:/var/lib/grafana/dashboards:ro",
      ]),
    );
    expect(prometheus?.ports).toEqual(["127.0.0.1:${PROMETHEUS_PORT:-9090}:9090"]);
    expect(grafana?.ports).toEqual(["127.0.0.1:${GRAFANA_PORT:-3000}:3000"]);
    expect(prometheus?.networks).toContain("runners");
    expect(compose.networks?.runners?.name).toBe("runners");
  });

  it("sets no default Grafana password", () => {
    expect(grafana?.environment?.GF_SECURITY_ADMIN_PASSWORD).toMatch(/^\$\{GRAFANA_ADMIN_PASSWORD:\?[^}]+\}$/);
  });
});

describe("files the compose files mount", () => {
  it.each(ALL_FILES)("%s: every relative bind mount exists in the repository", (file) => {
    const mounts = Object.values(load(file).services).flatMap(binds);
    for (const [source] of mounts) {
      if (isAbsolute(source)) {
        expect(source, "the only host path mounted is the Docker socket").toBe("/var/run/docker.sock");
        continue;
      }
      expect(existsSync(resolve(COMPOSE, source)), `${file}: ${source}`).toBe(true);
    }
  });

  it("promtool accepts the Prometheus configuration with its rule files as the container sees them", () => {
    const prometheus = load("docker-compose.monitoring.yml").services.prometheus!;
    const mounts = binds(prometheus).map(([source, target]) => ({ host: resolve(COMPOSE, source), container: target }));
    const configMount = mounts.find((m) => m.container === "/etc/prometheus/prometheus.yml")!;
    expect(existsSync(configMount.host), "compose/prometheus/prometheus.yml").toBe(true);
    const config = parse(readFileSync(configMount.host, "utf8")) as { rule_files?: string[] };
    // Every rule file, resolved inside the container, must be one the compose file mounts.
    const ruleFiles = (config.rule_files ?? []).map((rule) => {
      const inContainer = posix.resolve(posix.dirname(configMount.container), rule);
      const mount = mounts.find((m) => m.container === inContainer);
      expect(mount, `rule file ${rule} (${inContainer}) is not mounted`).toBeDefined();
      return mount!.host;
    });
    const dir = tempDir("promtool");
    const checked = join(dir, "prometheus.yml");
    writeFileSync(checked, JSON.stringify({ ...config, rule_files: ruleFiles }));
    const r = spawnSync("promtool", ["check", "config", checked], { encoding: "utf8", timeout: 30_000 });
    expect(r.error).toBeUndefined();
    expect(`${r.stdout}${r.stderr}`).toContain("SUCCESS");
    expect(r.status, `${r.stdout}${r.stderr}`).toBe(0);
  });
});

describe(".env.example", () => {
  const example = readFileSync(join(COMPOSE, ".env.example"), "utf8");
  const defined = new Set(Object.keys(ENV_EXAMPLE));

  it("lists every variable the compose files read", () => {
    const used = new Set(ALL_FILES.flatMap((file) => [...text(file).matchAll(/(?<!\$)\$\{([A-Z][A-Z0-9_]*)/g)].map((m) => m[1]!)));
    expect(used.size).toBeGreaterThan(5);
    expect([...used].filter((v) => !defined.has(v))).toEqual([]);
  });

  it("holds no secret", () => {
    for (const name of ["GITHUB_TOKEN", "GRAFANA_ADMIN_PASSWORD"]) expect(example).toMatch(new RegExp(`^${name}=$`, "m"));
  });
});

describe("the runner services' health check, run against the bundled supervisor", () => {
  let dir: string;
  beforeAll(() => {
    dir = isolatedCopy(buildBundle());
  });
  afterEach(killAll);
  afterAll(removeTemps);

  /** The command compose runs: CMD's arguments with compose's $$ escape undone. */
  const commandOf = (file: string) =>
    load(file)
      .services.runner!.healthcheck!.test!.slice(1)
      .map((a) => a.replaceAll("$$", "$"));

  it("passes while the runner runs and fails once the supervisor is gone", async () => {
    const s = runSupervisor({ command: [NODE20, join(dir, BUNDLE_FILE)], cwd: dir, env: { FAKE_IDLE_SECONDS: "20" } });
    const port = await s.port;
    for (const { file } of RUNNER_FILES) expect(runHealthcheck(commandOf(file), port), file).toBe(0);
    s.proc.kill("SIGTERM");
    await s.exit;
    for (const { file } of RUNNER_FILES) expect(runHealthcheck(commandOf(file), port), file).not.toBe(0);
  });
});
