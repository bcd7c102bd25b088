import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { join } from "node:path";
import { freePort } from "../../helpers/index.js";

/** Fails with the command that installs them when Debian's prometheus/promtool are missing. */
export function requireTool(name: "prometheus" | "promtool"): void {
  const found = spawnSync("sh", ["-c", `command -v ${name}`]).status === 0;
  if (!found) throw new Error(`${name} is not installed: run \`bash test/setup/ensure-tools.sh\` (Debian package prometheus)`);
}

export interface InstantSample {
  metric: Record<string, string>;
  value: number;
}

export interface RangeSeries {
  metric: Record<string, string>;
  values: [number, number][];
}

interface ApiAnswer<T> {
  status: "success" | "error";
  data: T;
  error?: string;
}

/** A real Prometheus started for a test, with the HTTP API calls the test needs. */
export class PrometheusServer {
  private constructor(
    readonly proc: ChildProcess,
    readonly url: string,
    private readonly log: () => string,
  ) {}

  /** Starts prometheus with the given configuration file and TSDB directory on a free port; waits until ready. */
  static async start(configFile: string, dataDir: string, extraArgs: readonly string[] = []): Promise<PrometheusServer> {
    return PrometheusServer.launch([`--config.file=${configFile}`, `--storage.tsdb.path=${join(dataDir, "tsdb")}`, ...extraArgs]);
  }

  /** Starts prometheus in agent mode (scrape and remote write only, nothing to query) on a free port; waits until ready. */
  static async startAgent(configFile: string, dataDir: string): Promise<PrometheusServer> {
    return PrometheusServer.launch([
      "--enable-feature=agent",
      `--config.file=${configFile}`,
      `--storage.agent.path=${join(dataDir, "agent")}`,
    ]);
  }

  private static async launch(args: readonly string[]): Promise<PrometheusServer> {
    requireTool("prometheus");
    const port = await freePort();
    const proc = spawn("prometheus", [...args, `--web.listen-address=127.0.0.1:${port}`, "--log.level=warn"], {
      stdio: ["ignore", "ignore", "pipe"],
    });
    let log = "";
    proc.stderr.on("data", (c: Buffer) => (log += c.toString("utf8")));
    const server = new PrometheusServer(proc, `http://127.0.0.1:${port}`, () => log);
    const deadline = Date.now() + 15_000;
    while (Date.now() < deadline) {
      if (proc.exitCode !== null) throw new Error(`prometheus exited (${proc.exitCode}):\n${log}`);
      const ready = await fetch(`${server.url}/-/ready`).then(
        (r) => r.ok,
        () => false,
      );
      if (ready) return server;
      await new Promise((r) => setTimeout(r, 100));
    }
    await server.stop();
    throw new Error(`prometheus not ready within 15 s:\n${log}`);
  }

  /** Prometheus's own log (warnings and errors). */
  stderr(): string {
    return this.log();
  }

  private async api<T>(path: string, params: Record<string, string | string[]>): Promise<T> {
    const body = new URLSearchParams();
    for (const [k, v] of Object.entries(params)) for (const item of Array.isArray(v) ? v : [v]) body.append(k, item);
    const res = await fetch(`${this.url}${path}`, { method: "POST", body });
    const answer = (await res.json()) as ApiAnswer<T>;
    if (answer.status !== "success") throw new Error(`${path} ${JSON.stringify(params)}: ${answer.error}`);
    return answer.data;
  }

  /** GET /api/v1/query at a time (seconds). */
  async query(expr: string, time: number): Promise<InstantSample[]> {
    const data = await this.api<{ resultType: string; result: { metric: Record<string, string>; value: [number, string] }[] }>(
      "/api/v1/query",
      { query: expr, time: String(time) },
    );
    if (data.resultType === "scalar") throw new Error(`${expr}: scalar result`);
    return data.result.map((r) => ({ metric: r.metric, value: Number(r.value[1]) }));
  }

  /** /api/v1/query_range over [start, end] with a step (seconds). */
  async queryRange(expr: string, start: number, end: number, step: number): Promise<RangeSeries[]> {
    const data = await this.api<{ result: { metric: Record<string, string>; values: [number, string][] }[] }>("/api/v1/query_range", {
      query: expr,
      start: String(start),
      end: String(end),
      step: String(step),
    });
    return data.result.map((r) => ({ metric: r.metric, values: r.values.map(([t, v]) => [t, Number(v)] as [number, number]) }));
  }

  /** The values of one label on the series a selector matches (what Grafana's label_values() asks). */
  async labelValues(label: string, match: string, start: number, end: number): Promise<string[]> {
    const params = new URLSearchParams({ "match[]": match, start: String(start), end: String(end) });
    const answer = (await (await fetch(`${this.url}/api/v1/label/${label}/values?${params.toString()}`)).json()) as ApiAnswer<string[]>;
    if (answer.status !== "success") throw new Error(`label values of ${label} for ${match}: ${answer.error}`);
    return answer.data;
  }

  /** Active alerts, firing or pending. */
  async alerts(): Promise<{ labels: Record<string, string>; state: string }[]> {
    const answer = (await (await fetch(`${this.url}/api/v1/alerts`)).json()) as ApiAnswer<{
      alerts: { labels: Record<string, string>; state: string }[];
    }>;
    return answer.data.alerts;
  }

  /** Polls a query until the predicate holds, bounded in time. */
  async waitFor(expr: string, predicate: (r: InstantSample[]) => boolean, timeoutMs: number): Promise<InstantSample[]> {
    const deadline = Date.now() + timeoutMs;
    let last: InstantSample[] = [];
    while (Date.now() < deadline) {
      last = await this.query(expr, Date.now() / 1000);
      if (predicate(last)) return last;
      await new Promise((r) => setTimeout(r, 200));
    }
    throw new Error(
      `Prometheus: ${expr} did not reach the expected value within ${timeoutMs} ms; last: ${JSON.stringify(last)}\n${this.log()}`,
    );
  }

  /** Stops the server (SIGTERM, then SIGKILL after 3 s). */
  async stop(): Promise<void> {
    if (this.proc.exitCode !== null || this.proc.signalCode !== null) return;
    const exited = new Promise((r) => this.proc.once("exit", r));
    this.proc.kill("SIGTERM");
    const timer = setTimeout(() => this.proc.kill("SIGKILL"), 3_000);
    await exited;
    clearTimeout(timer);
  }
}
