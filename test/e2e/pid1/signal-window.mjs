#!/usr/bin/env node
// Measures the signal-loss window after exec: the time from exec until a PID 1 can no longer
// lose a SIGTERM, i.e. until it catches its forwarded signals (the supervisor: the SIGPWR
// listener, installed last of them; bare Node: a listener on the first line) or blocks them
// (tini). Before that, a SIGTERM to a PID 1 is dropped by the kernel. Run after a build:
//   node test/e2e/pid1/signal-window.mjs [runs]
// A second part checks it end to end: the supervisor as PID 1 of a new PID namespace gets one
// SIGTERM from outside d ms after that PID 1 appears; delivered means the child died by it (143),
// lost means the child ran to its end (exit 0).
import { spawn } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { constants } from "node:os";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("../../..", import.meta.url));
const runs = Number(process.argv[2] ?? 30);
const bit = (signal) => 1n << BigInt(signal - 1);
const mask = (pid, key) => {
  try {
    const m = new RegExp(`^${key}:\\s*([0-9a-f]+)`, "m").exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return m ? BigInt(`0x${m[1]}`) : 0n;
  } catch {
    return 0n;
  }
};

const subjects = {
  "runner-supervisor": {
    argv: [process.execPath, `${root}/bin/runner-supervisor.js`, "--no-metrics", "--runner-home", "/tmp", "--", "sleep", "5"],
    ready: (pid) => (mask(pid, "SigCgt") & bit(constants.signals.SIGPWR)) !== 0n,
  },
  ...(existsSync(`${root}/dist/bundle/runner-supervisor.cjs`) && {
    "runner-supervisor (bundle)": {
      argv: [process.execPath, `${root}/dist/bundle/runner-supervisor.cjs`, "--no-metrics", "--runner-home", "/tmp", "--", "sleep", "5"],
      ready: (pid) => (mask(pid, "SigCgt") & bit(constants.signals.SIGPWR)) !== 0n,
    },
  }),
  tini: {
    argv: ["/usr/bin/tini", "-s", "--", "sleep", "5"],
    ready: (pid) => (mask(pid, "SigBlk") & bit(constants.signals.SIGTERM)) !== 0n,
  },
  "bare node (listener on line 1)": {
    argv: [process.execPath, "-e", "process.on('SIGPWR', () => {}); setTimeout(() => {}, 5000)"],
    ready: (pid) => (mask(pid, "SigCgt") & bit(constants.signals.SIGPWR)) !== 0n,
  },
};

function measureOnce({ argv, ready }) {
  return new Promise((resolve) => {
    const child = spawn(argv[0], argv.slice(1), { stdio: "ignore" });
    const t0 = performance.now();
    const deadline = t0 + 2_000;
    const poll = () => {
      if (ready(child.pid)) {
        const ms = performance.now() - t0;
        child.kill("SIGKILL");
        child.once("exit", () => resolve(ms));
      } else if (performance.now() > deadline) {
        child.kill("SIGKILL");
        child.once("exit", () => resolve(Number.NaN));
      } else setImmediate(poll);
    };
    poll();
  });
}

const pct = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))];
// Round robin, so that a busy moment of the machine weighs on every subject alike.
const times = Object.fromEntries(Object.keys(subjects).map((name) => [name, []]));
for (let i = 0; i < runs; i++) for (const [name, subject] of Object.entries(subjects)) times[name].push(await measureOnce(subject));
console.log(`exec until no signal can be lost (${runs} runs each, load average ${(await import("node:os")).loadavg()[0].toFixed(2)}):`);
for (const name of Object.keys(subjects)) {
  const ok = times[name].filter(Number.isFinite).sort((a, b) => a - b);
  console.log(
    `${name.padEnd(32)} median ${pct(ok, 0.5).toFixed(1)} ms  p90 ${pct(ok, 0.9).toFixed(1)} ms  max ${ok.at(-1).toFixed(1)} ms  (${ok.length}/${runs} runs)`,
  );
}

const childrenOf = (pid) => {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, "utf8").trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
};

function sendAfter(delayMs) {
  return new Promise((resolve) => {
    const argv = [
      "unshare",
      "--pid",
      "--fork",
      "--mount-proc",
      process.execPath,
      `${root}/bin/runner-supervisor.js`,
      "--no-metrics",
      "--runner-home",
      "/tmp",
      "--",
      "sleep",
      "1",
    ];
    const proc = spawn(argv[0], argv.slice(1), { stdio: "ignore" });
    const giveUp = performance.now() + 1_000;
    const find = () => {
      const [pid1] = childrenOf(proc.pid);
      if (pid1 === undefined && performance.now() < giveUp) return setImmediate(find);
      setTimeout(() => pid1 && process.kill(pid1, "SIGTERM"), delayMs);
    };
    find();
    proc.once("exit", (code) => resolve(code === 143));
  });
}

console.log("\nas PID 1, one SIGTERM sent d ms after PID 1 appears (delivered/runs):");
const perDelay = Math.max(4, Math.round(runs / 4));
for (const delay of [10, 30, 50, 70, 90, 120, 160]) {
  let delivered = 0;
  for (let i = 0; i < perDelay; i++) if (await sendAfter(delay)) delivered++;
  console.log(`  d = ${String(delay).padStart(3)} ms: ${delivered}/${perDelay}`);
}
