#!/usr/bin/env node
// `npm run bench`: measures the supervisor and prints each figure beside a baseline measured
// in the same run. Everything runs on 127.0.0.1 and is bounded in count and time.
// Two forms are measured: the single-file build as the images run it (dist/bundle, through its
// launcher) and the unbundled program that `npm start` runs (bin/runner-supervisor.js).
import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import http from "node:http";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const FORMS = {
  image: { name: "single-file build, as in the image", command: [join(ROOT, "dist", "bundle", "runner-supervisor")] },
  unbundled: { name: "unbundled (npm start)", command: [process.execPath, join(ROOT, "bin", "runner-supervisor.js")] },
};
const JOBS = 10_000;
const SCRAPES = 10_000;
const CONCURRENCY = 50;
const PASS_MB = 256;
const LINES = 2_000_000;
const work = mkdtempSync(join(tmpdir(), "rs-bench-"));
const results = [];

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
/** Resident memory in MiB: all of it, and the anonymous part (the process's own, without mapped files such as the node binary). */
function memory(pid) {
  const text = readFileSync(`/proc/${pid}/smaps_rollup`, "utf8");
  const kib = (field) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(text)[1]);
  return { rss: kib("Rss") / 1024, anon: kib("Anonymous") / 1024 };
}
const cpuSeconds = (pid) => {
  const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1].split(" ");
  return (Number(fields[11]) + Number(fields[12])) / 100; // utime + stime, in clock ticks of 10 ms
};
const percentile = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
function report(name, value, unit, baselineName, baseline, target = "") {
  results.push({ name, value, unit, baselineName, baseline, target });
}

/** GETs url `count` times with `concurrency` keep-alive clients; returns sorted latencies in ms. */
async function load(url, count, concurrency) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });
  const latencies = [];
  let issued = 0;
  const deadline = Date.now() + 120_000;
  async function client() {
    while (issued < count && Date.now() < deadline) {
      issued++;
      const t0 = performance.now();
      await new Promise((resolve, reject) => {
        http.get(url, { agent }, (res) => {
          res.resume();
          res.on("end", resolve);
        }).on("error", reject);
      });
      latencies.push(performance.now() - t0);
    }
  }
  await Promise.all(Array.from({ length: concurrency }, client));
  agent.destroy();
  return latencies.sort((a, b) => a - b);
}

function startSupervisor(form, args) {
  const [cmd, ...rest] = form.command;
  const proc = spawn(cmd, [...rest, ...args], {
    env: { ...process.env, METRICS_HOST: "127.0.0.1", METRICS_PORT: "0", RUNNER_HOME: work, RUNNER_SUPERVISOR_NODE: process.execPath },
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

async function idleBaselineMemory() {
  const proc = spawn(process.execPath, ["-e", "setInterval(() => {}, 1000)"], { stdio: "ignore" });
  await sleep(1500);
  const m = memory(proc.pid);
  proc.kill();
  return m;
}

/**
 * Latency under load from wrk (a C load generator, so the client does not compete with the
 * server for the two cores the way a Node client would): p50 and p99 in ms, and requests done.
 */
function wrk(url) {
  const run = spawnSync("wrk", ["-t", "2", "-c", String(CONCURRENCY), "-d", "5s", "--latency", url], { encoding: "utf8", timeout: 30_000 });
  if (run.status !== 0) throw new Error(`wrk failed: ${run.stderr || run.error}`);
  const ms = (label) => {
    const m = new RegExp(`^\\s+${label}%\\s+([\\d.]+)(us|ms|s)$`, "m").exec(run.stdout);
    return Number(m[1]) * { us: 0.001, ms: 1, s: 1000 }[m[2]];
  };
  const errors = /Non-2xx or 3xx responses: (\d+)/.exec(run.stdout);
  if (errors) throw new Error(`wrk saw ${errors[1]} failed responses`);
  return { p50: ms("50"), p99: ms("99"), requests: Number(/(\d+) requests in/.exec(run.stdout)[1]) };
}

/** A bare node:http server in its own process answering a fixed body of the given size: the latency baseline. */
async function staticServerBaseline(bodySize) {
  const code = `const body = Buffer.alloc(${bodySize}, 0x61);
const s = require("node:http").createServer((q, r) => { r.writeHead(200, { "Content-Type": "text/plain", "Content-Length": body.length }); r.end(body); });
s.listen(0, "127.0.0.1", () => console.log(s.address().port));`;
  const server = spawn(process.execPath, ["-e", code], { stdio: ["ignore", "pipe", "inherit"] });
  const port = await new Promise((resolve) => server.stdout.once("data", (c) => resolve(Number(String(c).trim()))));
  try {
    return wrk(`http://127.0.0.1:${port}/`);
  } finally {
    server.kill();
  }
}

function writeJobsRunner() {
  const runner = join(work, "jobs.mjs");
  writeFileSync(
    runner,
    `const ts = () => new Date().toISOString().slice(0, 19).replace("T", " ") + "Z";
const results = ["Succeeded", "Failed", "Canceled", "Skipped", "Abandoned", "SucceededWithIssues"];
console.log("Current runner version: '2.336.0'");
console.log(ts() + ": Listening for Jobs");
for (let i = 0; i < ${JOBS}; i++) {
  const name = "build (ubuntu, " + (i % 17) + ") / job " + i;
  process.stdout.write(ts() + ": Running job: " + name + "\\n" + ts() + ": Job " + name + " completed with result: " + results[i % 6] + "\\n");
  if (i % 500 === 0) await new Promise((r) => setTimeout(r, 5));
}
setInterval(() => {}, 1000);
`,
  );
  return runner;
}

/** 10,000 jobs, then 10,000 scrapes: memory, CPU and latency of one form. */
async function benchJobsAndScrapes(form) {
  const { proc, port: portPromise } = startSupervisor(form, ["--", process.execPath, writeJobsRunner()]);
  try {
    const port = await portPromise;
    const url = `http://127.0.0.1:${port}/metrics`;
    const t0 = Date.now();
    for (;;) {
      const text = await (await fetch(url)).text();
      const total = [...text.matchAll(/^github_runner_jobs_total\{[^}]*\} (\d+)$/gm)].reduce((s, m) => s + Number(m[1]), 0);
      if (total >= JOBS) break;
      if (Date.now() - t0 > 60_000) throw new Error(`only ${total} jobs counted after 60 s`);
      await sleep(100);
    }
    const cpuBefore = cpuSeconds(proc.pid);
    const bodySize = (await (await fetch(url)).text()).length;
    const latencies = await load(url, SCRAPES, CONCURRENCY);
    if (latencies.length !== SCRAPES) throw new Error(`only ${latencies.length} of ${SCRAPES} scrapes done`);
    const cpu = cpuSeconds(proc.pid) - cpuBefore;
    await sleep(500);
    const mem = memory(proc.pid);
    const loaded = wrk(url);
    const idleBefore = cpuSeconds(proc.pid);
    await sleep(5000);
    const idleCpu = ((cpuSeconds(proc.pid) - idleBefore) / 5) * 100;
    return { form, bodySize, latencies, cpu, mem, loaded, idleCpu };
  } finally {
    proc.kill("SIGKILL");
  }
}

function reportJobsAndScrapes(m, baseline) {
  const tag = `[${m.form.name}]`;
  report(`${tag} resident memory after ${JOBS} jobs and ${SCRAPES} scrapes`, m.mem.rss, "MiB", "bare node idling", baseline.memory.rss, "< 50 MiB");
  report(`${tag} of which anonymous (own heap and buffers)`, m.mem.anon, "MiB", "bare node idling", baseline.memory.anon);
  report(`${tag} scrape latency p50, wrk ${CONCURRENCY} connections 5 s (${m.bodySize} B body)`, m.loaded.p50, "ms", "node:http static body", baseline.http.p50);
  report(`${tag} scrape latency p99, wrk ${CONCURRENCY} connections 5 s`, m.loaded.p99, "ms", "node:http static body", baseline.http.p99, "< 10 ms");
  report(`${tag} scrapes per second, wrk ${CONCURRENCY} connections`, m.loaded.requests / 5, "/s", "node:http static body", baseline.http.requests / 5);
  report(`${tag} scrape latency p99, ${SCRAPES} scrapes from a Node client`, percentile(m.latencies, 99), "ms", "", undefined);
  report(`${tag} CPU per 1000 scrapes`, (m.cpu / SCRAPES) * 1000 * 1000, "ms", "", undefined);
  report(`${tag} CPU while idle`, m.idleCpu, "%", "", undefined);
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
  return { mbps: bytes / 1e6 / seconds, bytes };
}

/**
 * The same stream through the supervisor and through cat, three times each, best of three. The
 * stream is what a runner with ACTIONS_RUNNER_PRINT_LOG_TO_STDOUT prints, at its densest: trace
 * lines, their WRITE LINE echoes, the job message's JSON, and a real job (start and result)
 * every 1000 lines. (The parsing figure below covers a stream that is 40 % job events.)
 */
function benchPassthrough(form) {
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
  block.push("2026-11-25 10:00:01Z: Running job: build (ubuntu, 20)\n", "2026-11-25 10:00:02Z: Job build (ubuntu, 20) completed with result: Succeeded\n");
  const bytes = Buffer.from(block.join(""));
  writeFileSync(file, Buffer.concat(Array.from({ length: Math.ceil((PASS_MB * 1024 * 1024) / bytes.length) }, () => bytes)));
  // What Node itself reaches copying a child's pipe to its stdout, with no parsing: the floor for any Node supervisor.
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
  const supervisor = `METRICS_ENABLED=false RUNNER_HOME=${work} RUNNER_SUPERVISOR_NODE=${process.execPath} ${form.command.join(" ")} -- cat ${file}`;
  const best = (pipeline) => Math.max(...[0, 1, 2].map(() => throughput(pipeline).mbps));
  const supervised = best(supervisor);
  const cat = best(`cat ${file} | cat`);
  const nodeCopy = best(`${process.execPath} ${copier}`);
  rmSync(file);
  report(`[${form.name}] passthrough of ${PASS_MB} MiB of runner trace output, parsed on the way`, supervised, "MB/s", "cat", cat, ">= half of cat's");
  report(`  the same stream copied by a bare Node script, not parsed`, nodeCopy, "MB/s", "cat", cat);
}

async function benchParsing() {
  const { createObserver } = await import(join(ROOT, "dist", "observer.js"));
  const split2 = (await import("split2")).default;
  const config = { runnerName: "bench", runnerType: "standard", runnerVersion: "unknown", jobDurationBuckets: [1, 10, 100] };
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
  const parsed = await timeTap(createObserver(config, () => undefined).tap());
  const bare = split2(() => undefined);
  bare.resume();
  const splitOnly = await timeTap({ write: (c) => bare.write(c), end: () => new Promise((r) => bare.end(r)) });
  report("lines split, parsed and recorded per second (40 % of them job events)", parsed / 1e6, "M lines/s", "split2 alone", splitOnly / 1e6);
}

const fmt = (v) => (v === undefined ? "" : v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(2));
try {
  const measured = [await benchJobsAndScrapes(FORMS.image), await benchJobsAndScrapes(FORMS.unbundled)];
  const baseline = { memory: await idleBaselineMemory(), http: await staticServerBaseline(measured[0].bodySize) };
  for (const m of measured) reportJobsAndScrapes(m, baseline);
  benchPassthrough(FORMS.image);
  await benchParsing();
} finally {
  rmSync(work, { recursive: true, force: true });
}
console.log(`runner-supervisor benchmark (node ${process.version}, ${new Date().toISOString()})\n`);
const rows = results.map((r) => [r.name, `${fmt(r.value)} ${r.unit}`, r.baselineName ? `${fmt(r.baseline)} ${r.unit} (${r.baselineName})` : "", r.target]);
const widths = [0, 1, 2, 3].map((i) => Math.max(...rows.map((row) => row[i].length), ["figure", "measured", "baseline", "target"][i].length));
const line = (cells) => cells.map((c, i) => c.padEnd(widths[i])).join("  ").trimEnd();
console.log(line(["figure", "measured", "baseline", "target"]));
console.log(line(widths.map((w) => "-".repeat(w))));
for (const row of rows) console.log(line(row));
