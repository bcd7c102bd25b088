/**
 * The simulated worker's diagnostic log: one `_diag/Worker_YYYYMMDD-HHMMSS-utc.log` per job,
 * written line by line as the runner's worker writes it (`[UTC time LEVEL Source] message`, from
 * the job runner, the steps runner and the process invoker), so that the supervisor's traces have
 * steps to show. Only the lines a job's timeline needs, plus a little of the noise around them.
 */
import { appendFileSync, mkdirSync } from "node:fs";
import { join } from "node:path";

const stamp = (d: Date): string => `${d.toISOString().slice(0, 19).replace("T", " ")}Z`;
const fileName = (d: Date): string => `Worker_${d.toISOString().slice(0, 19).replace(/[-:]/g, "").replace("T", "-")}-utc.log`;

/** One job's worker log, opened when the job starts. */
export class SimulatedWorkerLog {
  private readonly path: string;
  private pid = 4000;

  constructor(diagDir: string, jobId: number) {
    mkdirSync(diagDir, { recursive: true });
    this.path = join(diagDir, fileName(new Date()));
    this.write("INFO", "Worker", "Version: 2.336.0");
    this.write("INFO", "JobRunner", `Job ID ${jobId}`);
  }

  /** The job's steps are known: the job runner starts running them. */
  begin(stepCount: number): void {
    this.write("INFO", "JobRunner", `Total job steps: ${stepCount}.`);
    this.write("INFO", "JobRunner", "Run all job steps.");
  }

  /** A step is taken up and started (the steps runner's two lines). */
  startStep(name: string): void {
    this.write("INFO", "StepsRunner", `Processing step: DisplayName='${name}'`);
    this.write("INFO", "StepsRunner", "Starting the step.");
  }

  /** A step of a composite action is taken up and started. */
  startEmbeddedStep(name: string): void {
    this.write("INFO", "CompositeActionHandler", `Processing embedded step: DisplayName='${name}'`);
    this.write("INFO", "CompositeActionHandler", `Starting: ${name}`);
  }

  /** The step's process ended with this code (a run: step's shell). */
  processExited(exitCode: number): void {
    const pid = this.pid++;
    this.write("INFO", "ProcessInvoker", `Process started with process id ${pid}, waiting for process exit.`);
    this.write("INFO", "ProcessInvoker", `Finished process ${pid} with exit code ${exitCode}, and elapsed time 00:00:01.2345678.`);
  }

  /** The innermost running step ended with this result (Succeeded, Failed, Canceled, ...). */
  endStep(result: string, source = "StepsRunner"): void {
    this.write("INFO", source, `Step result: ${result}`);
  }

  /** A step whose condition was false. */
  skipStep(name: string): void {
    this.write("INFO", "StepsRunner", `Processing step: DisplayName='${name}'`);
    this.write("INFO", "StepsRunner", "Skipping step due to condition evaluation.");
  }

  /** The job runner's last lines. */
  finish(result: string): void {
    this.write("INFO", "JobRunner", "Finalize job.");
    this.write("INFO", "JobRunner", `Job result after all job steps finish: ${result}`);
  }

  private write(level: string, source: string, message: string): void {
    try {
      appendFileSync(this.path, `[${stamp(new Date())} ${level} ${source}] ${message}\n`);
    } catch {
      // A log that cannot be written costs the traces their steps, never the simulation.
    }
  }
}

/**
 * The steps of a simulated job over `seconds` (paced by `pause`): a checkout, a composite action
 * with two steps of its own, the tests (whose shell exits 1 in a failed job), and the checkout's
 * post step. A skipped job's steps are all skipped; a cancelled one stops in its tests.
 */
export async function simulateSteps(
  log: SimulatedWorkerLog,
  result: string,
  seconds: number,
  pause: (seconds: number) => Promise<void>,
): Promise<void> {
  if (result === "Skipped") {
    for (const name of ["Run actions/checkout@v4", "Run ./.github/actions/setup", "Run npm test"]) log.skipStep(name);
    return await pause(seconds);
  }
  const run = async (name: string, share: number, exitCode = 0, stepResult = "Succeeded") => {
    log.startStep(name);
    await pause(seconds * share);
    log.processExited(exitCode);
    log.endStep(stepResult);
  };
  await run("Run actions/checkout@v4", 0.2);
  log.startStep("Run ./.github/actions/setup");
  log.startEmbeddedStep("Run actions/setup-node@v4");
  await pause(seconds * 0.1);
  log.endStep("Succeeded", "CompositeActionHandler");
  log.startEmbeddedStep("Run npm ci");
  await pause(seconds * 0.2);
  log.processExited(0);
  log.endStep("Succeeded", "CompositeActionHandler");
  log.endStep("Succeeded");
  const failed = result === "Failed";
  const cancelled = result === "Canceled";
  await run("Run npm test", 0.4, failed ? 1 : cancelled ? 130 : 0, failed ? "Failed" : cancelled ? "Canceled" : "Succeeded");
  await run("Post Run actions/checkout@v4", 0.1);
}
