// What the benchmark measures with: memory and CPU of a process from /proc, latency under load
// from wrk and from a Node client, and the moment a process catches its signals.
import { spawn, spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import http from "node:http";
import { constants } from "node:os";

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
export const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
export const percentile = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];

/**
 * Memory of a process in MiB: resident (all of it), anonymous (its own heap and buffers, not
 * the mapped node binary), and proportional (shared pages divided among the processes sharing
 * them, so the node binary's pages count only in part when other Node processes run).
 */
export function memory(pid) {
  const text = readFileSync(`/proc/${pid}/smaps_rollup`, "utf8");
  const kib = (field) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(text)[1]);
  return { rss: kib("Rss") / 1024, anon: kib("Anonymous") / 1024, pss: kib("Pss") / 1024 };
}

/** CPU seconds (user + system) a process has used. */
export function cpuSeconds(pid) {
  const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1].split(" ");
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/** GETs url `count` times with `concurrency` keep-alive clients; resolves with sorted latencies in ms. */
export async function load(url, count, concurrency, deadlineMs = 300_000) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });
  const latencies = [];
  let issued = 0;
  const deadline = Date.now() + deadlineMs;
  async function client() {
    while (issued < count && Date.now() < deadline) {
      issued++;
      const t0 = performance.now();
      await new Promise((resolve, reject) => {
        http
          .get(url, { agent }, (res) => {
            res.resume();
            res.on("end", resolve);
          })
          .on("error", reject);
      });
      latencies.push(performance.now() - t0);
    }
  }
  await Promise.all(Array.from({ length: concurrency }, client));
  agent.destroy();
  return latencies.sort((a, b) => a - b);
}

/** wrk (a C load generator, so the client does not compete like a Node one would): p50 and p99 in ms, requests per second. */
export function wrk(url, connections, seconds, headers = []) {
  const run = spawnSync(
    "wrk",
    ["-t", "2", "-c", String(connections), "-d", `${seconds}s`, "--latency", ...headers.flatMap((h) => ["-H", h]), url],
    { encoding: "utf8", timeout: (seconds + 25) * 1000 },
  );
  if (run.status !== 0) throw new Error(`wrk failed: ${run.stderr || run.error}`);
  const ms = (label) => {
    const m = new RegExp(`^\\s+${label}%\\s+([\\d.]+)(us|ms|s)$`, "m").exec(run.stdout);
    return Number(m[1]) * { us: 0.001, ms: 1, s: 1000 }[m[2]];
  };
  const errors = /Non-2xx or 3xx responses: (\d+)/.exec(run.stdout);
  if (errors) throw new Error(`wrk saw ${errors[1]} failed responses`);
  return { p50: ms("50"), p99: ms("99"), perSecond: Number(/(\d+) requests in/.exec(run.stdout)[1]) / seconds };
}

const bit = (signal) => 1n << BigInt(signal - 1);
function mask(pid, key) {
  try {
    const m = new RegExp(`^${key}:\\s*([0-9a-f]+)`, "m").exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return m ? BigInt(`0x${m[1]}`) : 0n;
  } catch {
    return 0n;
  }
}
/** A Node process can no longer lose a signal once it catches SIGPWR (the supervisor installs that listener last). */
export const catchesSignals = (pid) => (mask(pid, "SigCgt") & bit(constants.signals.SIGPWR)) !== 0n;
/** tini blocks the signals it forwards (and reads them with sigtimedwait). */
export const blocksSignals = (pid) => (mask(pid, "SigBlk") & bit(constants.signals.SIGTERM)) !== 0n;

/**
 * Milliseconds from exec until a process can no longer lose a SIGTERM (a PID 1 without a handler
 * drops it): the signal-loss window of a new container. NaN when it never gets there in 3 s.
 */
export function signalWindow(argv, ready, env = process.env) {
  return new Promise((resolve) => {
    const child = spawn(argv[0], argv.slice(1), { stdio: "ignore", env });
    const t0 = performance.now();
    const poll = () => {
      if (ready(child.pid)) {
        const ms = performance.now() - t0;
        child.kill("SIGKILL");
        child.once("exit", () => resolve(ms));
      } else if (performance.now() - t0 > 3_000) {
        child.kill("SIGKILL");
        child.once("exit", () => resolve(Number.NaN));
      } else setImmediate(poll);
    };
    poll();
  });
}
