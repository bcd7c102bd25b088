import type { Writable } from "node:stream";
import { parseCli } from "./cli.js";
import { ConfigError, EXIT_CONFIG, holdsSecrets, resolveConfig, withoutPrivateVariables, type Config } from "./config.js";
import { startEndpoint, type Endpoint, type Health } from "./http/server.js";
import { fdSink } from "./io/fd-sink.js";
import { passThrough } from "./io/passthrough.js";
import { createLog, type Log } from "./log.js";
import { createObserver, type Observer } from "./observer.js";
import { childEnvironment, spawnChild, type Child, type ChildExit } from "./process/child.js";
import { exitCodeOf, finalExitCode, spawnFailureMessage } from "./process/exit-code.js";
import { takeOnInitDuties } from "./process/init-duties.js";
import { killSession } from "./process/kill-session.js";
import { orphanGuard } from "./process/orphan-guard.js";
import { settleOutput } from "./process/settle-output.js";
import type { SignalRouter } from "./process/signals.js";
import { StopController } from "./process/stop-controller.js";
import { startJobContext } from "./context/service.js";
import { createPusher } from "./push/pusher.js";
import { lastWords } from "./after-exit.js";

/** Where the supervisor is in its life; /health is 200 only while "running". */
type Phase = "starting" | "running" | "draining" | "stopping" | "exited";

/**
 * The program: parse the configuration, start the endpoint, spawn the runner, forward its
 * signals and output while the observer reads it, then return the child's exit code.
 */
export async function main(signals: SignalRouter, argv: readonly string[]): Promise<number> {
  const stdout = fdSink(1);
  const stderr = fdSink(2);
  const log = createLog(stderr);
  try {
    return await supervise(signals, argv, { stdout, stderr, log });
  } finally {
    await Promise.all([flush(stdout), flush(stderr)]);
  }
}

interface Output {
  readonly stdout: Writable;
  readonly stderr: Writable;
  readonly log: Log;
}

async function supervise(signals: SignalRouter, argv: readonly string[], out: Output): Promise<number> {
  const cli = parseCli(argv, { out: (s) => out.stdout.write(s), err: (s) => out.stderr.write(s) });
  if (cli.kind === "exit") return cli.code;
  if (cli.kind === "hook" || cli.kind === "report") return 0; // run before anything loads, in entry.ts

  let config: Config;
  try {
    config = resolveConfig(cli.flags, process.env, cli.command);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    out.log(error.message);
    return EXIT_CONFIG;
  }

  keepRunnerFirst(out.log);
  let phase: Phase = "starting";
  const observer = createObserver(config, out.log);
  const endpoint = config.metrics ? serve(config, observer, () => healthOf(phase), out.log) : Promise.resolve(undefined);
  const stopReaping = await takeOnInitDuties({ parentDeathSignal: config.parentDeathSignal, holdsSecrets: holdsSecrets(config), log: out.log });

  const context = config.jobHooks ? await startJobContext(config, observer, process.env, out.log) : undefined;
  const env = childEnvironment({ ...withoutPrivateVariables(process.env), ...context?.env });

  const setpriv = orphanGuard(out.log);
  const child = spawnChild({ command: config.command, args: config.args, cwd: config.runnerHome, env, ...(setpriv ? { setpriv } : {}) });
  if (child.pid === undefined) {
    const exit = await child.exit;
    if (exit.kind === "spawn-failed") out.log(spawnFailureMessage(exit, config.command, config.runnerHome));
    stopReaping();
    await context?.close();
    await closeEndpoint(endpoint);
    return exitCodeOf(exit);
  }
  phase = "running";
  const push = createPusher(config, observer, out.log);
  void push("first");
  // Not signal-exit: as the only listener of SIGABRT, SIGTRAP and SIGSYS it would kill the runner on them, where tini ignores them.
  const killOnExit = () => killGroup(child);
  process.once("exit", killOnExit);
  let stopAsked = false;
  const stops = stopControllerFor(config, child, observer, out.log, (state) => {
    phase = state;
    if (state !== "running") stopAsked = true;
    observer.draining(state === "draining");
  });
  signals.attach((signal) => stops.receive(signal));

  const exit = await forwardUntilExit(child, observer, out, stops);
  phase = "exited";
  process.off("exit", killOnExit);
  stopReaping();
  await lastWords(config, observer, signals, endpoint, context, out.log, stopAsked, push);
  await closeEndpoint(endpoint);
  return finalExitCode(exit, config.exitCodesToZero);
}

/** Signal forwarding with the two extras tini lacks: draining and escalation (both from the config). */
function stopControllerFor(config: Config, child: Child, observer: Observer, log: Log, onState: (s: Phase) => void): StopController {
  return new StopController({
    forward: (signal) => child.signal(signal, config.signalGroup),
    killAll: () => {
      if (child.pid !== undefined) killSession(child.pid);
    },
    graceMs: config.stopGracePeriod * 1000,
    drain: {
      enabled: config.drain,
      timeoutMs: config.drainTimeout * 1000,
      jobInFlight: () => observer.tracker.currentJob,
      onJobFinished: (listener) => observer.onJobFinished(listener),
    },
    onState,
    log,
  });
}

/** Copies the child's output through the observer's taps until the child has exited and its output is read. */
async function forwardUntilExit(child: Child, observer: Observer, out: Output, stops: StopController): Promise<ChildExit> {
  const outTap = observer.tap();
  const errTap = observer.tap();
  let sinkFailed = false;
  const onSinkError = (error: Error) => {
    if (sinkFailed) return;
    sinkFailed = true;
    out.log(`cannot write the runner's output (${error.message}); it is still read and parsed`);
  };
  const copies = [
    passThrough(child.stdout, out.stdout, { tap: (c) => outTap.write(c), onSinkError }),
    passThrough(child.stderr, out.stderr, { tap: (c) => errTap.write(c), onSinkError }),
  ];
  const exit = await child.exit;
  stops.childExited();
  await settleOutput(copies);
  await Promise.all([outTap.end(), errTap.end()]);
  observer.childExited();
  return exit;
}

function healthOf(phase: Phase): Health {
  return phase === "running" ? { healthy: true, reason: "running" } : { healthy: false, reason: phase };
}

function serve(config: Config, observer: Observer, health: () => Health, log: Log): Promise<Endpoint | undefined> {
  return startEndpoint({ host: config.metricsHost, port: config.metricsPort, render: observer.render, health, onError: log }).then(
    (endpoint) => {
      const { address } = endpoint;
      const host = address.family === "IPv6" ? `[${address.address}]` : address.address;
      log(`serving metrics on http://${host}:${address.port}/metrics`);
      return endpoint;
    },
    (error: NodeJS.ErrnoException) => {
      const where = `${config.metricsHost || "all interfaces"} port ${config.metricsPort}`;
      log(`metrics endpoint disabled: cannot listen on ${where}: ${error.code ?? error.message}; the runner runs on`);
      return undefined;
    },
  );
}

async function closeEndpoint(endpoint: Promise<Endpoint | undefined>): Promise<void> {
  await (await endpoint)?.close();
}

/** If the supervisor itself goes down, it takes the runner's process group with it rather than orphan it. */
function killGroup(child: Child): void {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, "SIGKILL");
  } catch {
    // already gone
  }
}

let guarded = false;
/** An unexpected error on the metrics side is reported, never allowed to end the process and the runner with it. */
function keepRunnerFirst(log: Log): void {
  if (guarded) return;
  guarded = true;
  let reported = 0;
  const report = (error: unknown) => {
    if (++reported <= 5) log(`internal error (the runner is unaffected): ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  };
  process.on("uncaughtException", report);
  process.on("unhandledRejection", report);
}

/**
 * Waits until everything written to the sink is with the kernel. It never ends the sink: ending a
 * socket shuts it down for every other process that writes to it too.
 */
function flush(sink: Writable): Promise<void> {
  return new Promise((resolve) => {
    if (sink.destroyed || sink.writableLength === 0) return resolve();
    sink.once("error", () => resolve());
    // An empty write completes after every write queued before it.
    sink.write(Buffer.alloc(0), () => resolve());
  });
}
