#!/usr/bin/env node
// What the supervisor costs a runner container, measured in the container the way its user sees
// it: the cgroup memory (what docker stats shows: usage less inactive file pages, and the anonymous
// part alone) of the runner container with the supervisor as PID 1, beside the same image with tini
// as PID 1 running the same stand-in runner and jobs, and a bare `sleep` as the floor; idle, then
// after a burst of jobs and scrapes. Also the image size the fragment adds.
//
//   node test/e2e/image-docker/overhead.mjs [--json]
//
// Alone (as root) it starts an engine of its own, builds the images and removes it all at the end.
// With RS_IMAGE_TEST_ENGINE=<name> it measures on that running engine of the image tests instead.
// `overhead()` does the same for a caller (the bench); `formatRows()` prints its rows.
import { request } from "node:http";
import { resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { attachEngine, startEngine } from "./engine.mjs";
import { DOCKER, run } from "./exec.mjs";
import { buildImages, imageSize, IMAGES } from "./images.mjs";

const MiB = 1024 * 1024;
const LABEL = "rs-image-test.owner=overhead";
/** The burst: jobs with hooks and a cache-reporting step, jobs with only their two console lines, scrapes. */
export const BURST = { jobs: 10, plainJobs: 2000, scrapes: 2000, scrapeConcurrency: 10 };
/** Files of the supervisor whose page cache a container is charged for once it reads them. */
const SUPERVISOR_FILES = [
  "/actions-runner/externals/node24/bin/node",
  "/opt/runner-supervisor/runner-supervisor.cjs",
  "/opt/runner-supervisor/supervisor.cjs",
  "/opt/runner-supervisor/koffi.node",
];

/**
 * Measures the three containers side by side on an engine whose images are built; removes its
 * containers. Resolves with the figures (bytes) and printable rows: figure, measured, baseline.
 */
export async function measureOverhead(engine, { log = () => {}, burst = BURST } = {}) {
  const docker = (args, options = {}) => run([DOCKER, ...args], { env: engine.env, timeoutMs: 120_000, ...options });
  try {
    await evictSupervisorFiles(docker);
    const common = ["run", "-d", "--label", LABEL, "-e", "RUNNER_MANUALLY_TRAP_SIG=1"];
    const ids = {
      sleep: (await docker([...common, "--entrypoint", "sleep", IMAGES.runner, "infinity"])).stdout.trim(),
      tini: (await docker([...common, IMAGES.tini])).stdout.trim(),
      supervisor: (await docker([...common, "-p", "127.0.0.1::9091", IMAGES.runner])).stdout.trim(),
    };
    const port = Number(/127\.0\.0\.1:(\d+)/.exec((await docker(["port", ids.supervisor, "9091/tcp"])).stdout)[1]);
    const metrics = (path = "/metrics") => httpGet({ host: "127.0.0.1", port, path });
    await waitFor(async () => (await docker(["logs", ids.tini])).stdout.includes("Listening for Jobs"), "the tini container's runner");
    await waitFor(async () => (await metrics("/health").catch(() => ({ status: 0 }))).status === 200, "the supervisor's /health");
    await settle();
    const idle = await sampleAll(engine, ids);
    log("idle sampled");

    const started = Date.now();
    for (const id of [ids.tini, ids.supervisor]) {
      await docker(["exec", id, "/actions-runner/fake/control", "jobs", String(burst.jobs)]);
    }
    await scrapeBurst(metrics, burst.scrapes, burst.scrapeConcurrency);
    for (const id of [ids.tini, ids.supervisor]) {
      await waitFor(async () => completedJobs((await docker(["logs", id])).stdout) >= burst.jobs, "the jobs with hooks");
      await docker(["exec", id, "/actions-runner/fake/control", "plain-jobs", String(burst.plainJobs)]);
    }
    for (const id of [ids.tini, ids.supervisor]) {
      await waitFor(
        async () => completedJobs((await docker(["logs", id])).stdout) >= burst.jobs + burst.plainJobs,
        "the plain jobs",
        120_000,
      );
    }
    const counted = /github_runner_jobs_total\{status="success"[^}]*\} (\d+)/.exec((await metrics()).body)?.[1];
    if (Number(counted) !== burst.jobs + burst.plainJobs)
      throw new Error(`the supervisor counted ${counted} jobs, not ${burst.jobs + burst.plainJobs}`);
    log(`burst done in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    await settle();
    const after = await sampleAll(engine, ids);
    const added = (await imageSize(engine, IMAGES.runner)) - (await imageSize(engine, IMAGES.standIn));
    return { idle, after, imageAdded: added, burst, rows: rows(idle, after, added, burst) };
  } finally {
    const left = (await docker(["ps", "-aq", "--filter", `label=${LABEL}`], { allowFailure: true })).stdout.split(/\s+/).filter(Boolean);
    if (left.length > 0) await docker(["rm", "-f", ...left], { allowFailure: true });
  }
}

/**
 * A cgroup is charged for file pages the first time one of its processes reads them; pages an
 * earlier container read stay charged to the cgroup above. Dropping the supervisor's files from the
 * page cache first charges the measured container for its own Node and bundle, as on a fresh host.
 */
async function evictSupervisorFiles(docker) {
  const script = SUPERVISOR_FILES.map((f) => `dd if=${f} iflag=nocache count=0 status=none`).join(" && ");
  await docker(["run", "--rm", "--label", LABEL, "--entrypoint", "bash", IMAGES.runner, "-c", script]);
}

function completedJobs(log) {
  return log.match(/: Job build \(image, \d+\) completed with result: /g)?.length ?? 0;
}

/** Lets freed memory go back and the page cache settle before a sample. */
function settle() {
  return new Promise((r) => setTimeout(r, 2_000));
}

async function waitFor(check, what, timeoutMs = 60_000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`overhead: ${what} did not come within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

function httpGet(options) {
  return new Promise((resolvePromise, reject) => {
    const req = request({ ...options, timeout: 10_000 }, (res) => {
      const chunks = [];
      res.on("data", (c) => chunks.push(c));
      res.on("end", () => resolvePromise({ status: res.statusCode, body: Buffer.concat(chunks).toString("utf8") }));
    });
    req.once("error", reject);
    req.once("timeout", () => req.destroy(new Error("timeout")));
    req.end();
  });
}

async function scrapeBurst(get, total, concurrency) {
  let next = 0;
  const worker = async () => {
    while (next < total) {
      next++;
      const res = await get();
      if (res.status !== 200) throw new Error(`scrape answered ${res.status}`);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
}

/** The Engine API's stats of each container (all at once), three samples a second apart, the median of each figure. */
async function sampleAll(engine, ids) {
  const names = Object.keys(ids);
  const samples = [];
  for (let i = 0; i < 3; i++) {
    if (i > 0) await new Promise((r) => setTimeout(r, 1_000));
    samples.push(await Promise.all(names.map(async (name) => memoryOf(await stats(engine, ids[name])))));
  }
  const median = (n, key) => samples.map((s) => s[n][key]).sort((a, b) => a - b)[1];
  return Object.fromEntries(
    names.map((name, n) => [
      name,
      { dockerStats: median(n, "dockerStats"), anonymous: median(n, "anonymous"), mappedFile: median(n, "mappedFile") },
    ]),
  );
}

function stats(engine, id) {
  return httpGet({ socketPath: engine.socket, path: `/containers/${id}/stats?stream=false&one-shot=true` }).then((r) => JSON.parse(r.body));
}

/**
 * What docker stats shows (usage less inactive file pages), the anonymous memory, and the file
 * pages mapped by its processes; cgroup v1 or v2.
 */
function memoryOf(s) {
  const m = s.memory_stats;
  const inactive = m.stats.total_inactive_file ?? m.stats.inactive_file ?? 0;
  return {
    dockerStats: inactive < m.usage ? m.usage - inactive : m.usage,
    anonymous: m.stats.total_rss ?? m.stats.anon,
    mappedFile: m.stats.total_mapped_file ?? m.stats.file_mapped,
  };
}

const mib = (bytes) => `${(bytes / MiB).toFixed(1)} MiB`;

function rows(idle, after, added, burst) {
  const load = `after ${burst.jobs} jobs with hooks, ${burst.plainJobs} more jobs and ${burst.scrapes} scrapes`;
  const row = (figure, key, sample) => ({
    figure,
    measured: mib(sample.supervisor[key]),
    baseline: `${mib(sample.tini[key])} (tini as PID 1); ${mib(sample.sleep[key])} (bare sleep)`,
  });
  return [
    row("runner container memory, docker stats, idle", "dockerStats", idle),
    row(`runner container memory, docker stats, ${load}`, "dockerStats", after),
    row("of which anonymous, idle", "anonymous", idle),
    row(`of which anonymous, ${load}`, "anonymous", after),
    row("file pages mapped (chiefly the Node binary: page cache that replicas share), after the burst", "mappedFile", after),
    {
      figure: "the supervisor's share of the container (docker stats), idle / after the burst",
      measured: `${mib(idle.supervisor.dockerStats - idle.tini.dockerStats)} / ${mib(after.supervisor.dockerStats - after.tini.dockerStats)}`,
      baseline: "0 (tini)",
    },
    { figure: "image size the fragment adds to the runner image", measured: `${(added / MiB).toFixed(2)} MiB`, baseline: "0" },
  ];
}

/** The rows as a table. */
export function formatRows(rows) {
  const width = [Math.max(...rows.map((r) => r.figure.length)), Math.max(...rows.map((r) => r.measured.length))];
  return rows.map((r) => `${r.figure.padEnd(width[0])}  ${r.measured.padEnd(width[1])}  ${r.baseline}`).join("\n");
}

/**
 * The whole measurement in one call (what `npm run bench` needs): on the running engine of that
 * name, whose images the image tests built, or else on an engine of its own, which it starts, builds
 * the images on and removes again (root only).
 */
export async function overhead({ engineName, log = () => {} } = {}) {
  const engine = engineName ? attachEngine(engineName) : await startEngine({ log });
  try {
    if (!engineName) await buildImages(engine, { log });
    return await measureOverhead(engine, { log });
  } finally {
    if (!engineName) await engine.stop();
  }
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const result = await overhead({
    engineName: process.env.RS_IMAGE_TEST_ENGINE,
    log: (line) => process.stderr.write(`overhead: ${line}\n`),
  });
  process.stdout.write(process.argv.includes("--json") ? `${JSON.stringify(result)}\n` : `${formatRows(result.rows)}\n`);
}
