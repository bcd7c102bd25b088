// The compose stack's Prometheus configuration (compose/prometheus/prometheus.yml), its
// discovery and relabelling unchanged, run by a real Prometheus against a stand-in Docker API
// that lists a labelled runner container (really a supervisor on this machine) and an
// unlabelled one. Only the Docker host, the intervals and the rules path are changed.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { FIXTURES, ROOT, type Running, startSupervisor, stopSupervisor } from "../../helpers/index.js";
import { startFakeDockerApi, type FakeDockerApi } from "../../fixtures/dashboard/docker-engine-api.js";
import { PrometheusServer } from "./prometheus-server.js";

interface ScrapeJob {
  job_name: string;
  docker_sd_configs?: { host: string; refresh_interval?: string }[];
  [key: string]: unknown;
}

let prometheus: PrometheusServer | undefined;
let supervisor: Running | undefined;
let docker: FakeDockerApi | undefined;
let workDir = "";
let port = 0;

beforeAll(async () => {
  workDir = mkdtempSync(join(tmpdir(), "docker-sd-"));
  supervisor = startSupervisor({
    runnerHome: join(FIXTURES, "dashboard", "standard"),
    command: ["bash", "-c", "source ../lib.sh && session_start && linger"],
    env: { RUNNER_TYPE: "standard", RUNNER_NAME: "compose-runner" },
  });
  port = await supervisor.port;
  docker = await startFakeDockerApi([
    {
      // "localhost" so that the name resolves here as a container name does in Docker's DNS.
      name: "/localhost",
      labels: {
        "io.runner-supervisor.scrape": "true",
        "io.runner-supervisor.port": String(port),
        "com.docker.compose.service": "runner",
        "com.docker.compose.project": "e2e",
      },
      // On two networks with two exposed ports: four discovered targets, one scrape.
      networks: { e2e_default: "10.255.0.2", e2e_runners: "10.255.1.2" },
      exposedTcpPorts: [port, 22],
    },
    {
      name: "/unrelated-db",
      labels: { "com.docker.compose.service": "db" },
      networks: { e2e_default: "10.255.0.3" },
      exposedTcpPorts: [5432],
    },
  ]);

  const config = parse(readFileSync(join(ROOT, "compose", "prometheus", "prometheus.yml"), "utf8")) as {
    global: Record<string, string>;
    rule_files: string[];
    scrape_configs: ScrapeJob[];
  };
  config.global.scrape_interval = "1s";
  config.global.scrape_timeout = "900ms";
  config.rule_files = [];
  config.scrape_configs = config.scrape_configs.filter((j) => j.docker_sd_configs);
  for (const sd of config.scrape_configs[0]!.docker_sd_configs!) {
    sd.host = docker.url;
    sd.refresh_interval = "1s";
  }
  const file = join(workDir, "prometheus.yml");
  writeFileSync(file, JSON.stringify(config));
  prometheus = await PrometheusServer.start(file, workDir);
  await prometheus.waitFor('up{job="github-runners"}', (r) => r.length > 0 && r.every((s) => s.value === 1), 15_000);
}, 30_000);

afterAll(async () => {
  await stopSupervisor(supervisor);
  await prometheus?.stop();
  await docker?.close();
  if (workDir) rmSync(workDir, { recursive: true, force: true });
});

describe("compose/prometheus/prometheus.yml with Docker discovery", () => {
  it("asks Docker only for containers labelled io.runner-supervisor.scrape=true", () => {
    expect(docker!.containerFilters.length).toBeGreaterThan(0);
    expect(docker!.containerFilters[0]).toEqual({ label: { "io.runner-supervisor.scrape=true": true } });
  });

  it("scrapes the labelled container once, by name, on its labelled port", async () => {
    const res = (await (await fetch(`${prometheus!.url}/api/v1/targets?state=active`)).json()) as {
      data: { activeTargets: { labels: Record<string, string>; health: string; scrapeUrl: string }[] };
    };
    const targets = res.data.activeTargets.filter((t) => t.labels.job === "github-runners");
    expect(targets).toHaveLength(1);
    expect(targets[0]!.health).toBe("up");
    expect(targets[0]!.scrapeUrl).toBe(`http://localhost:${port}/metrics`);
    expect(targets[0]!.labels).toEqual({
      job: "github-runners",
      instance: `localhost:${port}`,
      container: "localhost",
      compose_service: "runner",
      compose_project: "e2e",
    });
  });

  it("leaves the runner's own labels alone", async () => {
    const [info] = await prometheus!.query('github_runner_info{job="github-runners"}', Date.now() / 1000);
    expect(info!.metric).toMatchObject({ runner_name: "compose-runner", runner_type: "standard", container: "localhost" });
    expect(Object.keys(info!.metric).filter((k) => k.startsWith("exported_"))).toEqual([]);
  });

  it("drops containers without the label even when Docker does not filter", async () => {
    const res = (await (await fetch(`${prometheus!.url}/api/v1/targets?state=dropped`)).json()) as {
      data: { droppedTargets: { discoveredLabels: Record<string, string> }[] };
    };
    const names = res.data.droppedTargets.map((t) => t.discoveredLabels.__meta_docker_container_name);
    expect(names).toContain("/unrelated-db");
  });
});
