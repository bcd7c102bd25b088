import { afterExit } from "./after-exit.js";
import { parseCli } from "./cli.js";
import { ConfigError, EXIT_CONFIG, resolveConfig, sourceOf, withoutPrivateVariables, type Config } from "./config/config.js";
import type { EndpointGuard } from "./http/guard.js";
import type { Health } from "./http/routes.js";
import { openOutput, type Output } from "./io/output.js";
import { passThrough } from "./io/passthrough.js";
import { describeError, logAtMost, type Log } from "./common/log.js";
import { createPipeline, type Pipeline } from "./pipeline.js";
import { childEnvironment, killGroupOnExit, spawnChild, type Child, type ChildExit } from "./process/child.js";
import { exitCodeOf, finalExitCode, spawnFailureMessage } from "./process/exit-code.js";
import { killSession } from "./process/kill-session.js";
import { orphanGuard } from "./process/orphan-guard.js";
import { resolveCommand } from "./process/resolve-command.js";
import { settleOutput } from "./process/settle-output.js";
import type { SignalRouter } from "./process/signals.js";
import { StopController, type StopState } from "./process/stop-controller.js";
import { createPusher } from "./push/pusher.js";
import { startServices } from "./services.js";
import { VERSION } from "./common/version.js";

/** Where the supervisor is in its life; /health is 200 only while "running". */
type Phase = "starting" | StopState | "exited";

export { exitNow } from "./process/exit-now.js";

/** The program: configure, then supervise the runner; returns the exit code. */
export async function main(signals: SignalRouter, argv: readonly string[]): Promise<number> {
  const out = openOutput();
  try {
    const configured = configure(argv, out);
    if (typeof configured === "number") return configured;
    const guard = await protection(configured.config, configured.source, out.log);
    return typeof guard === "number" ? guard : await supervise(configured.config, guard, signals, out);
  } finally {
    await out.flush();
  }
}

/**
 * The supervisor's life, as tini's main reads: start what runs beside the runner, spawn it,
 * forward its signals and output until it exits, wind down, and return its exit code.
 */
async function supervise(config: Config, guard: EndpointGuard | undefined, signals: SignalRouter, out: Output): Promise<number> {
  reportInternalErrors(out.log);
  // A command that cannot run (a runner directory without run.sh) stops here, before anything is
  // served: one line and 127 or 126, never "serving metrics" first.
  const unrunnable = commandProblem(config);
  if (unrunnable) {
    out.log(spawnFailureMessage(unrunnable, config.command, config.runnerHome));
    return exitCodeOf(unrunnable);
  }
  let phase: Phase = "starting";
  const pipeline = createPipeline({ ...config, supervisorVersion: VERSION, userAgent: `runner-supervisor/${VERSION}` }, out.log);
  const services = await startServices(config, pipeline, () => healthOf(phase), out.log, guard);
  try {
    const child = spawnRunner(config, services.runnerEnv, out.log);
    if (child.pid === undefined) return await reportSpawnFailure(child, config, out.log);
    phase = "running";
    const push = createPusher({ ...config, render: pipeline.render, log: out.log });
    void push("first");
    const unguard = killGroupOnExit(child);
    const stops = controlStops(config, child, pipeline, out.log, (state) => {
      phase = state;
      pipeline.draining(state === "draining");
      if (state === "stopping") pipeline.stopping();
    });
    signals.attach((signal) => stops.receive(signal));

    const exit = await forwardUntilExit(child, pipeline, out, stops);
    phase = "exited";
    unguard();
    void services.flushTraces();
    await afterExit({
      ...config,
      signals,
      serving: await services.serving,
      stopAsked: stops.asked,
      push,
      settled: () => pipeline.settled(),
      log: out.log,
    });
    return finalExitCode(exit, config.exitCodesToZero);
  } finally {
    await services.close();
  }
}

/**
 * The Config from the command line and the environment (with how the web configuration file was
 * given, for its errors), or the exit code of help, version or a bad value.
 */
function configure(argv: readonly string[], out: Output): { config: Config; source: string } | number {
  const cli = parseCli(argv, { out: (s) => out.stdout.write(s), err: (s) => out.stderr.write(s) });
  if (cli.kind === "exit") return cli.code;
  try {
    return { config: resolveConfig(cli.flags, process.env, cli.command), source: sourceOf("webConfigFile", cli.flags) };
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    out.log(error.message);
    return EXIT_CONFIG;
  }
}

/**
 * What protects the endpoint: nothing without a web configuration file (and nothing of it is
 * loaded), else its TLS and auth; a file that cannot be used stops start-up like any bad value.
 */
async function protection(config: Config, source: string, log: Log): Promise<EndpointGuard | undefined | number> {
  if (config.webConfigFile === "") return undefined;
  const shown = `${source}=${JSON.stringify(config.webConfigFile)}`;
  try {
    const { openWebConfig } = await import("./http/web-config/index.js");
    const guard = await openWebConfig(config.webConfigFile, log);
    if (config.metrics) return guard;
    // Checked all the same, so that a bad file is found before the endpoint is turned on.
    guard.close();
    return undefined;
  } catch (error) {
    const message = describeError(error);
    log(`invalid ${shown}: ${message}`);
    return EXIT_CONFIG;
  }
}

/** Why the child's command cannot run, found as execvp finds it, or undefined when it can. */
function commandProblem(config: Config): Extract<ChildExit, { kind: "spawn-failed" }> | undefined {
  const found = resolveCommand(config.command, config.runnerHome, process.env.PATH);
  return "errno" in found ? { kind: "spawn-failed", errno: found.errno, message: found.errno } : undefined;
}

/** Starts the runner with our environment (minus secrets) plus its job hooks, in its own session. */
function spawnRunner(config: Config, runnerEnv: Readonly<Record<string, string>>, log: Log): Child {
  const env = childEnvironment({ ...withoutPrivateVariables(process.env, config), ...runnerEnv });
  const setpriv = orphanGuard(log);
  return spawnChild({ command: config.command, args: config.args, cwd: config.runnerHome, env, ...(setpriv ? { setpriv } : {}) });
}

async function reportSpawnFailure(child: Child, config: Config, log: Log): Promise<number> {
  const exit = await child.exit;
  if (exit.kind === "spawn-failed") log(spawnFailureMessage(exit, config.command, config.runnerHome));
  return exitCodeOf(exit);
}

/** Signal forwarding with the two extras tini lacks: draining and escalation. */
function controlStops(config: Config, child: Child, pipeline: Pipeline, log: Log, onState: (state: StopState) => void): StopController {
  return new StopController({
    forward: (signal) => child.signal(signal, config.signalGroup),
    killAll: () => {
      if (child.pid !== undefined) killSession(child.pid);
    },
    graceMs: config.stopGracePeriod * 1000,
    drain: {
      enabled: config.drain,
      timeoutMs: config.drainTimeout * 1000,
      jobInFlight: () => pipeline.jobInFlight(),
      onJobFinished: (listener) =>
        pipeline.subscribe((observation) => {
          if (observation.type === "job-finished") listener();
        }),
    },
    onState,
    log,
  });
}

/** Copies the child's output through the pipeline's taps until the child has exited and its output is read. */
async function forwardUntilExit(child: Child, pipeline: Pipeline, out: Output, stops: StopController): Promise<ChildExit> {
  const outTap = pipeline.tap();
  const errTap = pipeline.tap();
  let sinkFailed = false;
  const onSinkError = (error: Error) => {
    if (sinkFailed) return;
    sinkFailed = true;
    out.log(`cannot write the runner's output (${error.message}); it is still read and parsed`);
  };
  const copies = [
    passThrough(child.stdout, out.stdout, { tap: (c) => outTap.write(c), onSinkError }),
    passThrough(child.stderr, out.stderr, {
      tap: (c) => {
        out.runnerWroteStderr(c);
        errTap.write(c);
      },
      onSinkError,
    }),
  ];
  const exit = await child.exit;
  stops.childExited();
  await settleOutput(copies);
  await Promise.all([outTap.end(), errTap.end()]);
  pipeline.childExited();
  return exit;
}

function healthOf(phase: Phase): Health {
  return phase === "running" ? { healthy: true, reason: "running" } : { healthy: false, reason: phase };
}

let guarded = false;
/** An unexpected error (a failed scrape, look-up or push) is reported, never allowed to end the process and the runner with it. */
function reportInternalErrors(log: Log): void {
  if (guarded) return;
  guarded = true;
  const reportAtMost = logAtMost(5, log);
  const report = (error: unknown) => reportAtMost(`internal error (supervision goes on): ${describeError(error, true)}`);
  process.on("uncaughtException", report);
  process.on("unhandledRejection", report);
}
