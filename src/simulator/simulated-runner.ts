/**
 * A stand-in for the runner's run.sh that prints exactly what the real runner prints: it
 * connects, listens, runs jobs with every result at a few seconds' pace, loses its connection
 * now and then, and stops like run.sh with RUNNER_MANUALLY_TRAP_SIG on SIGTERM or SIGINT.
 * It lets anyone watch the metrics move without a GitHub account.
 *
 * SIMULATOR_PACE scales every pause (default 1; 0.01 runs a hundred times faster);
 * SIMULATOR_JOBS stops after that many jobs (default: run until stopped).
 */
import { setTimeout as sleep } from "node:timers/promises";

const VERSION = "2.336.0";
const pace = positiveNumber(process.env.SIMULATOR_PACE, 1);
const maxJobs = positiveNumber(process.env.SIMULATOR_JOBS, Number.POSITIVE_INFINITY);

// Real display names are chosen by workflow authors: matrix values, reusable workflows, unicode.
const JOBS = [
  "build (ubuntu-22.04, 20)",
  "test / unit (3.12)",
  "Deploy: production",
  "lint, format & typecheck",
  "e2e (chromium) 🧪",
  "Build and analyze",
  "release / publish (npm, provenance)",
  "docs: check links ",
];
// Mostly successes, as in life; every result shows up within a couple of minutes.
const RESULTS = ["Succeeded", "Succeeded", "Failed", "Succeeded", "Canceled", "SucceededWithIssues", "Succeeded", "Skipped", "Failed", "Abandoned"];

let current: string | undefined;
let stopping = false;

function timestamp(): string {
  return `${new Date().toISOString().slice(0, 19).replace("T", " ")}Z`;
}
function out(line: string): void {
  process.stdout.write(`${line}\n`);
}
function err(line: string): void {
  process.stderr.write(`${line}\n`);
}
function positiveNumber(raw: string | undefined, fallback: number): number {
  const n = Number(raw);
  return raw && Number.isFinite(n) && n > 0 ? n : fallback;
}
async function pause(seconds: number): Promise<void> {
  await sleep(seconds * 1000 * pace);
}

function stop(): void {
  if (stopping) return;
  stopping = true;
  // The listener cancels the job in flight, then run-helper.sh and run.sh print their lines.
  out("Exiting...");
  if (current) out(`${timestamp()}: Job ${current} completed with result: Canceled`);
  out("Runner listener exit with 0 return code, stop the service, no retry needed.");
  out("Exiting runner...");
  process.exit(0);
}
process.on("SIGTERM", stop).on("SIGINT", stop);

async function connect(): Promise<void> {
  out("");
  out("√ Connected to GitHub");
  out("");
  await pause(0.5);
  out(`Current runner version: '${VERSION}'`);
  out(`${timestamp()}: Listening for Jobs`);
}

async function main(): Promise<void> {
  await connect();
  for (let n = 0; n < maxJobs; n++) {
    await pause(1 + (n % 3));
    if (n % 7 === 6) {
      // A network blip while idle: first error of the streak, then the reconnect.
      err(`${timestamp()}: Runner connect error: The HTTP request timed out after 00:01:00.. Retrying until reconnected.`);
      await pause(2);
      out(`${timestamp()}: Runner reconnected.`);
    }
    current = JOBS[n % JOBS.length]!;
    out(`${timestamp()}: Running job: ${current}`);
    await pause(2 + ((n * 7) % 5));
    if (n % 11 === 10) {
      // The worker died without a result line; the listener starts a new session.
      current = undefined;
      out(`${timestamp()}: Listening for Jobs`);
      continue;
    }
    out(`${timestamp()}: Job ${current} completed with result: ${RESULTS[n % RESULTS.length]!}`);
    current = undefined;
  }
  out("Runner listener exit with 0 return code, stop the service, no retry needed.");
  out("Exiting runner...");
}

await main();
