/**
 * A stand-in for the runner's listener (bin/Runner.Listener) that prints exactly what the real one
 * prints: it connects, listens, runs jobs with every result at a few seconds' pace, loses its
 * connection now and then, and on SIGTERM or SIGINT cancels the job in flight and exits 0, as the
 * listener does. npm start runs it under the shared stand-in run.sh and run-helper.sh
 * (test/fixtures/actions-runner, through RUNNER_STANDIN_LISTENER), which print their own lines and
 * return what the real scripts return (143 after SIGTERM, 130 after SIGINT).
 * It lets anyone watch the metrics move without a GitHub account. Like the runner's worker, it
 * runs the job hooks it finds in ACTIONS_RUNNER_HOOK_JOB_STARTED/_COMPLETED (the supervisor's)
 * around each job, with the job's GITHUB_* variables, after a set-up pause and before a clean-up
 * pause, and a step reports a cache look-up through "$RUNNER_SUPERVISOR" report cache, so the
 * job-context and job-phase metrics move too. It writes each job's worker log in _diag/ (in its
 * working directory, the runner's home), with the steps a trace of the job shows.
 *
 * SIMULATOR_PACE scales every pause (default 1; 0.01 runs a hundred times faster);
 * SIMULATOR_JOBS stops after that many jobs (default: run until stopped).
 */
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { simulateSteps, SimulatedWorkerLog } from "./worker-log.js";
import { eventPayload, JOBS, RESULTS, workerDies, type SimulatedJob } from "./workflows.js";

const VERSION = "2.336.0";
const pace = positiveNumber(process.env.SIMULATOR_PACE, 1);
const maxJobs = positiveNumber(process.env.SIMULATOR_JOBS, Number.POSITIVE_INFINITY);

const CACHES = ["npm", "buildkit", "apt"];

let current: string | undefined;
let stopping = false;
const eventDir = mkdtempSync(join(tmpdir(), "simulated-runner-"));
process.on("exit", () => rmSync(eventDir, { recursive: true, force: true }));

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
  // The listener cancels the job in flight; run-helper.sh and run.sh print their own lines.
  out("Exiting...");
  if (current) out(`${timestamp()}: Job ${current} completed with result: Canceled`);
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

/** Runs a command as the worker runs a hook or a step, with the job's variables; never fails the simulation. */
function run(command: string, args: string[], env: NodeJS.ProcessEnv): Promise<void> {
  return new Promise((resolve) => {
    const child = spawn(command, args, { env, stdio: ["ignore", "ignore", "inherit"] });
    child.once("error", () => resolve());
    child.once("exit", () => resolve());
  });
}

/** The job's environment as the runner gives it to hooks and steps. */
function jobEnvironment(n: number, job: SimulatedJob): NodeJS.ProcessEnv {
  const event = join(eventDir, `event-${n}.json`);
  // The pushed commit landed a few minutes before the job: the deploy lead time.
  writeFileSync(event, JSON.stringify(eventPayload(job, new Date(Date.now() - (180 + n * 7) * 1000))));
  return {
    ...process.env,
    GITHUB_RUN_ID: String(9_000_000 + n),
    GITHUB_RUN_ATTEMPT: "1",
    GITHUB_REPOSITORY: "octo-org/demo-app",
    GITHUB_WORKFLOW: job.workflow,
    GITHUB_JOB: job.key,
    GITHUB_EVENT_NAME: job.event,
    GITHUB_EVENT_PATH: event,
  };
}

async function runHook(variable: string, env: NodeJS.ProcessEnv): Promise<void> {
  const hook = process.env[variable];
  if (hook) await run("bash", ["--noprofile", "--norc", "-e", "-o", "pipefail", hook], env);
}

/**
 * The job's step: a small, real amount of CPU (0.2 to 1 s by this process's own clock, cut short
 * at the step's time) and of touched memory (16 to 64 MiB, held until the step ends), so the
 * job-resource metrics show real work (docs/JOB_RESOURCES.md). In this process: a step's own
 * process would cost a Node start-up per job.
 */
async function workStep(n: number, seconds: number): Promise<void> {
  const stepMs = seconds * pace * 1000;
  const started = Date.now();
  const cpuMicros = (0.2 + (n % 5) * 0.2) * 1e6;
  const before = process.cpuUsage();
  // On a busy machine the CPU comes slower than the clock: the step never outlasts its time.
  while (process.cpuUsage(before).user + process.cpuUsage(before).system < cpuMicros && Date.now() - started < stepMs);
  const held = Buffer.alloc(16 * (1 + (n % 4)) * 1024 * 1024, 1);
  await sleep(Math.max(0, stepMs - (Date.now() - started)));
  // Read once the step's time is over, so the memory is held (and counted) until then.
  return void held.at(-1);
}

async function main(): Promise<void> {
  await connect();
  let lastLogSecond = -1;
  for (let n = 0; n < maxJobs; n++) {
    await pause(1 + (n % 3));
    if (n % 7 === 6) {
      // A network blip while idle: first error of the streak, then the reconnect.
      err(`${timestamp()}: Runner connect error: The HTTP request timed out after 00:01:00.. Retrying until reconnected.`);
      await pause(2);
      out(`${timestamp()}: Runner reconnected.`);
    }
    // Each worker log is named by the UTC second it was opened; a real job takes longer than a
    // second, so at a fast pace the next job waits for the next second rather than share a log.
    if (Math.floor(Date.now() / 1000) === lastLogSecond) await sleep(1000 - (Date.now() % 1000));
    const job = JOBS[n % JOBS.length]!;
    current = job.name;
    out(`${timestamp()}: Running job: ${current}`);
    const env = jobEnvironment(n, job);
    const result = RESULTS[n % RESULTS.length]!;
    const worker = new SimulatedWorkerLog(join(process.cwd(), "_diag"), 1000 + n);
    lastLogSecond = Math.floor(Date.now() / 1000);
    // Set-up: the worker starts, downloads the job's actions, creates its containers.
    await pause(0.5 + (n % 4) * 0.5);
    worker.begin(6);
    worker.startStep("Set up runner");
    await runHook("ACTIONS_RUNNER_HOOK_JOB_STARTED", env);
    worker.endStep("Succeeded");
    const launcher = process.env.RUNNER_SUPERVISOR;
    if (launcher) await run(launcher, ["report", "cache", "--type", CACHES[n % CACHES.length]!, n % 4 === 3 ? "--miss" : "--hit"], env);
    // The steps' own record in the worker log, while the job's work uses real CPU and memory.
    const steps = 2 + ((n * 7) % 5);
    await Promise.all([simulateSteps(worker, result, steps, pause), workStep(n, steps)]);
    worker.startStep("Complete runner");
    await runHook("ACTIONS_RUNNER_HOOK_JOB_COMPLETED", env);
    worker.endStep("Succeeded");
    worker.finish(result);
    // Clean-up: the worker stops the job's containers and orphan processes, then reports.
    await pause(0.3 + (n % 3) * 0.2);
    if (workerDies(n)) {
      // The worker died without a result line. The listener keeps its session: no new
      // "Listening for Jobs"; the supervisor closes the job at the next "Running job".
      current = undefined;
      continue;
    }
    out(`${timestamp()}: Job ${current} completed with result: ${result}`);
    current = undefined;
  }
}

await main();
