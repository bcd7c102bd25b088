// compose/prometheus/examples/kubernetes.yml's relabelling, run by a real Prometheus. Debian's
// Prometheus has no Kubernetes discovery, so file-based discovery hands it the targets the pod
// role would: each pod's address and the same __meta_kubernetes_* labels. The relabelling is the
// example's, unchanged. (The example's namespace selection happens inside Kubernetes discovery,
// not in relabelling, and is not exercised here.)
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { FIXTURES, ROOT, startSupervisor, stopSupervisor, type Running } from "../../helpers/index.js";
import { PrometheusServer } from "./prometheus-server.js";

interface Pod {
  name: string;
  ip: string;
  /** The container port the pod role reports (its __address__ before relabelling). */
  containerPort: number;
  phase: "Pending" | "Running" | "Succeeded" | "Failed";
  annotations: Record<string, string>;
  labels: Record<string, string>;
}

// What the pod role's labels look like: names sanitized to [a-zA-Z0-9_].
const sanitize = (name: string) => name.replace(/[^a-zA-Z0-9_]/g, "_");

/** A file_sd target group carrying the labels Kubernetes pod discovery gives a pod. */
function targetGroup(p: Pod): { targets: string[]; labels: Record<string, string> } {
  const labels: Record<string, string> = {
    __meta_kubernetes_namespace: "github-runners",
    __meta_kubernetes_pod_name: p.name,
    __meta_kubernetes_pod_ip: p.ip,
    __meta_kubernetes_pod_phase: p.phase,
    __meta_kubernetes_pod_ready: p.phase === "Running" ? "true" : "false",
    __meta_kubernetes_pod_container_name: "runner",
    __meta_kubernetes_pod_container_port_number: String(p.containerPort),
  };
  for (const [k, v] of Object.entries(p.annotations)) {
    labels[`__meta_kubernetes_pod_annotation_${sanitize(k)}`] = v;
    labels[`__meta_kubernetes_pod_annotationpresent_${sanitize(k)}`] = "true";
  }
  for (const [k, v] of Object.entries(p.labels)) {
    labels[`__meta_kubernetes_pod_label_${sanitize(k)}`] = v;
    labels[`__meta_kubernetes_pod_labelpresent_${sanitize(k)}`] = "true";
  }
  return { targets: [`${p.ip}:${p.containerPort}`], labels };
}

let prometheus: PrometheusServer | undefined;
let supervisor: Running | undefined;
let workDir = "";
let port = 0;
const SCRAPE = { "runner-supervisor.io/scrape": "true" };
// A pod label named like the supervisor's own label: the example must not copy it onto the series.
const POD_LABELS = { "app.kubernetes.io/name": "github-runner", "runner-type": "from-the-pod" };

beforeAll(async () => {
  workDir = mkdtempSync(join(tmpdir(), "kubernetes-sd-"));
  supervisor = startSupervisor({
    runnerHome: join(FIXTURES, "dashboard", "chrome"),
    command: ["bash", "-c", "source ../lib.sh && session_start && linger"],
    env: { RUNNER_TYPE: "chrome", RUNNER_NAME: "k8s-runner-0" },
  });
  port = await supervisor.port;
  const pods: Pod[] = [
    {
      name: "runner-0",
      ip: "127.0.0.1",
      containerPort: 8080,
      phase: "Running",
      annotations: { ...SCRAPE, "runner-supervisor.io/port": String(port) },
      labels: POD_LABELS,
    },
    // No port annotation: 9091. Nothing listens at 127.0.0.2:9091; the target is kept, and down.
    { name: "runner-1", ip: "127.0.0.2", containerPort: 8080, phase: "Running", annotations: SCRAPE, labels: POD_LABELS },
    {
      name: "runner-finished",
      ip: "127.0.0.3",
      containerPort: 8080,
      phase: "Succeeded",
      annotations: { ...SCRAPE, "runner-supervisor.io/port": String(port) },
      labels: POD_LABELS,
    },
    { name: "runner-failed", ip: "127.0.0.4", containerPort: 8080, phase: "Failed", annotations: SCRAPE, labels: POD_LABELS },
    { name: "runner-pending", ip: "127.0.0.5", containerPort: 8080, phase: "Pending", annotations: SCRAPE, labels: POD_LABELS },
    {
      name: "web-server",
      ip: "127.0.0.6",
      containerPort: 8080,
      phase: "Running",
      annotations: {},
      labels: { "app.kubernetes.io/name": "web" },
    },
    {
      name: "runner-opted-out",
      ip: "127.0.0.7",
      containerPort: 8080,
      phase: "Running",
      annotations: { "runner-supervisor.io/scrape": "false" },
      labels: POD_LABELS,
    },
  ];
  const targets = join(workDir, "pods.json");
  writeFileSync(targets, JSON.stringify(pods.map(targetGroup)));

  const example = parse(readFileSync(join(ROOT, "compose", "prometheus", "examples", "kubernetes.yml"), "utf8")) as {
    global: Record<string, string>;
    scrape_configs: Record<string, unknown>[];
  };
  const job = example.scrape_configs[0]!;
  expect(job.kubernetes_sd_configs, "the example discovers pods").toEqual([{ role: "pod", namespaces: { names: ["github-runners"] } }]);
  delete job.kubernetes_sd_configs;
  job.file_sd_configs = [{ files: [targets], refresh_interval: "1s" }];
  example.global = { scrape_interval: "1s", scrape_timeout: "900ms" };
  const config = join(workDir, "prometheus.yml");
  writeFileSync(config, JSON.stringify(example));
  prometheus = await PrometheusServer.start(config, workDir);
  await prometheus.waitFor('github_runner_info{job="github-runners"}', (r) => r.length === 1, 15_000);
}, 30_000);

afterAll(async () => {
  await stopSupervisor(supervisor);
  await prometheus?.stop();
  if (workDir) rmSync(workDir, { recursive: true, force: true });
});

interface Targets {
  activeTargets: { labels: Record<string, string>; scrapeUrl: string; health: string }[];
  droppedTargets: { discoveredLabels: Record<string, string> }[];
}

async function targets(): Promise<Targets> {
  return ((await (await fetch(`${prometheus!.url}/api/v1/targets`)).json()) as { data: Targets }).data;
}

describe("compose/prometheus/examples/kubernetes.yml, relabelling pods as Kubernetes discovery reports them", () => {
  it("keeps the annotated running pods, at the pod IP and the annotated port (9091 without one)", async () => {
    const active = (await targets()).activeTargets.filter((t) => t.labels.job === "github-runners");
    expect(active.map((t) => t.scrapeUrl).sort()).toEqual([`http://127.0.0.1:${port}/metrics`, "http://127.0.0.2:9091/metrics"]);
    const byPod = new Map(active.map((t) => [t.labels.pod, t]));
    expect(byPod.get("runner-0")?.labels).toEqual({
      job: "github-runners",
      instance: `127.0.0.1:${port}`,
      namespace: "github-runners",
      pod: "runner-0",
      app: "github-runner",
    });
    expect(byPod.get("runner-0")?.health).toBe("up");
  });

  it("drops finished, failed and pending pods, pods without the annotation and pods that opt out", async () => {
    const dropped = (await targets()).droppedTargets.map((t) => t.discoveredLabels.__meta_kubernetes_pod_name).sort();
    expect(dropped).toEqual(["runner-failed", "runner-finished", "runner-opted-out", "runner-pending", "web-server"]);
  });

  it("leaves the runner's own runner_type alone: the pod's label of that name is not copied", async () => {
    const [info] = await prometheus!.query('github_runner_info{pod="runner-0"}', Date.now() / 1000);
    expect(info!.metric).toMatchObject({
      runner_type: "chrome",
      runner_name: "k8s-runner-0",
      namespace: "github-runners",
      pod: "runner-0",
    });
    expect(Object.keys(info!.metric).filter((k) => k.startsWith("exported_"))).toEqual([]);
  });
});
