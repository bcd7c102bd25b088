// Three real supervisors (standard, chrome, chrome-go), each around a scripted runner with known
// jobs (test/fixtures/dashboard, scripted-truth.ts), and GitHub's REST API answering locally: the
// runners the end-to-end and central-Prometheus tests scrape. The scripts idle until go().
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { FIXTURES, startSupervisor, stopSupervisor, type Running } from "../../helpers/index.js";
import { apiJob, FakeGitHub, jobsPage } from "../../fixtures/fake-github.js";
import { COMMIT_AGE_SECONDS, DEPLOY_PATTERN, QUEUE_SECONDS, RUNNERS } from "./scripted-truth.js";

export interface ScriptedFleet {
  readonly supervisors: readonly Running[];
  /** Their metrics endpoints, host:port. */
  readonly targets: readonly string[];
  /** When each runner's supervisor was spawned (seconds), by runner name. */
  readonly spawnedAtSeconds: ReadonlyMap<string, number>;
  /** Lets the scripts run their jobs; returns when (seconds). */
  go(): number;
  stop(): Promise<void>;
}

/** Starts the scripted runners' supervisors, each on a free port; go() starts their jobs. */
export async function startScriptedFleet(workDir: string): Promise<ScriptedFleet> {
  const goFile = join(workDir, "go");
  // Every runner's job waited QUEUE_SECONDS.
  const github = new FakeGitHub().answer({
    status: 200,
    body: jobsPage(
      RUNNERS.map((r, i) =>
        apiJob({
          id: i,
          name: "queued job",
          runner_name: r.name,
          created_at: "2026-11-25T10:00:00Z",
          started_at: new Date(Date.parse("2026-11-25T10:00:00Z") + QUEUE_SECONDS * 1000).toISOString(),
        }),
      ),
    ),
  });
  const api = await github.start();
  const spawnedAtSeconds = new Map<string, number>();
  const supervisors = RUNNERS.map((runner) => {
    const home = join(FIXTURES, "dashboard", runner.type);
    spawnedAtSeconds.set(runner.name, Date.now() / 1000);
    return startSupervisor({
      runnerHome: home,
      command: ["bash", join(home, "run.sh")],
      env: {
        RUNNER_TYPE: runner.type,
        RUNNER_NAME: runner.name,
        E2E_GO_FILE: goFile,
        E2E_COMMIT_AGE: String(COMMIT_AGE_SECONDS),
        DEPLOY_PATTERN,
        GITHUB_API_URL: api,
        GITHUB_API_TOKEN: "e2e-token",
      },
    });
  });
  const ports = await Promise.all(supervisors.map((s) => s.port));
  return {
    supervisors,
    targets: ports.map((p) => `127.0.0.1:${p}`),
    spawnedAtSeconds,
    go: () => {
      const at = Date.now() / 1000;
      writeFileSync(goFile, "");
      return at;
    },
    stop: async () => {
      await Promise.all(supervisors.map((s) => stopSupervisor(s)));
      await github.stop();
    },
  };
}
