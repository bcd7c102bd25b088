import type { AddressInfo } from "node:net";
import { openJobChannel } from "./channel/job-channel.js";
import { holdsSecrets, type OptionValues } from "./config/config.js";
import type { Config } from "./config/config.js";
import type { EndpointGuard } from "./http/guard.js";
import type { Health } from "./http/routes.js";
import { startEndpoint, type Endpoint } from "./http/server.js";
import { describeError, type Log } from "./common/log.js";
import type { Observation } from "./observation.js";
import type { Pipeline } from "./pipeline.js";
import { takeOnInitDuties } from "./process/init-duties.js";
import type { Tracing } from "./traces/index.js";
import { VERSION } from "./common/version.js";

export type ServicesOptions = Pick<Config, "traces" | "tracesOff"> &
  Pick<
    OptionValues,
    | "metrics"
    | "metricsHost"
    | "metricsPort"
    | "parentDeathSignal"
    | "jobHooks"
    | "runnerHome"
    | "githubApiToken"
    | "pushgatewayUrl"
    | "runnerName"
    | "runnerType"
    | "otlpEndpoint"
    | "otlpTracesEndpoint"
    | "otlpProtocol"
    | "otlpHeaders"
    | "traceIdRule"
  >;

/** At the end, queued spans are sent for at most this long: the runner has exited, the container waits. */
export const TRACES_FLUSH_MS = 2_000;

/** What runs beside the runner: the endpoint, PID 1's duties, the job channel, the traces. */
export interface Services {
  /** Whether the endpoint serves (false when metrics are off or the port could not be bound). */
  readonly serving: Promise<boolean>;
  /** Variables for the runner's environment: its job hooks and the channel's socket. */
  readonly runnerEnv: Readonly<Record<string, string>>;
  /** Stops them all: one teardown, whatever happened to the runner. */
  close(): Promise<void>;
  /**
   * Sends the spans still queued (at most TRACES_FLUSH_MS): called once the runner has exited, so
   * it runs beside the final push and linger instead of after them, inside the same stop budget.
   */
  flushTraces(): Promise<void>;
}

/**
 * Starts everything the runner needs beside it. None of it can stop the runner: an endpoint that
 * cannot listen, native calls that cannot load or a channel that cannot open each say why on
 * stderr, and the runner runs without them.
 */
export async function startServices(
  config: ServicesOptions,
  pipeline: Pipeline,
  health: () => Health,
  log: Log,
  guard?: EndpointGuard,
): Promise<Services> {
  // Listening goes on while the runner starts: the runner never waits for the endpoint.
  const endpoint = config.metrics ? serve(config, pipeline, health, log, guard) : Promise.resolve(undefined);
  if (config.tracesOff) log(config.tracesOff);
  const tracing = config.traces ? startTraces(config, pipeline, log) : Promise.resolve(undefined);
  const stopDuties = await takeOnInitDuties({ parentDeathSignal: config.parentDeathSignal, holdsSecrets: holdsSecrets(config), log });
  const channel = config.jobHooks
    ? await openJobChannel({
        runnerHome: config.runnerHome,
        env: process.env,
        onMessage: (message) => pipeline.channelMessage(message),
        onRejected: () => pipeline.channelRejected(),
        log,
      })
    : undefined;
  const unsubscribe = pipeline.subscribe((observation) => {
    if (observation.type === "job-started") channel?.restoreHookFiles();
  });
  let flushing: Promise<void> | undefined;
  const flushTraces = (): Promise<void> => (flushing ??= tracing.then((t) => t?.close(TRACES_FLUSH_MS)));
  return {
    serving: endpoint.then((e) => e !== undefined),
    runnerEnv: channel?.env ?? {},
    flushTraces,
    close: async () => {
      unsubscribe();
      await flushTraces();
      stopDuties();
      await channel?.close();
      await (await endpoint)?.close();
      guard?.close();
    },
  };
}

/** Observations held while the trace exporter loads; a runner's first job can start meanwhile. */
const HELD_WHILE_LOADING = 256;

/**
 * Loads the trace exporter (only now: without an endpoint none of it is loaded); failing, it says
 * so and the runner runs on. What the pipeline observes while it loads is held, with the time it
 * was seen, and handed to it once loaded: a job that starts (or ends) meanwhile keeps its trace.
 */
async function startTraces(config: ServicesOptions, pipeline: Pipeline, log: Log): Promise<Pick<Tracing, "close"> | undefined> {
  const held: [Observation, number][] = [];
  let observe = (observation: Observation, atMs: number): void => {
    if (held.length < HELD_WHILE_LOADING) held.push([observation, atMs]);
  };
  const unsubscribe = pipeline.subscribe((observation) => observe(observation, Date.now()));
  try {
    const { startTracing } = await import("./traces/index.js");
    const tracing = startTracing(
      { ...config, serviceVersion: VERSION, onSpans: (outcome, count) => pipeline.traceSpans(outcome, count) },
      log,
    );
    for (const [observation, atMs] of held.splice(0)) tracing.observe(observation, atMs);
    observe = (observation, atMs) => tracing.observe(observation, atMs);
    const url = config.otlpTracesEndpoint || `${config.otlpEndpoint}/v1/traces`;
    log(`sending every job as a trace to ${url} (${config.otlpProtocol}, trace ids: ${config.traceIdRule})`);
    return {
      close: async (withinMs) => {
        unsubscribe();
        await tracing.close(withinMs);
      },
    };
  } catch (error) {
    unsubscribe();
    held.length = 0;
    log(`traces disabled: cannot load the exporter: ${describeError(error)}; the runner runs on`);
    return undefined;
  }
}

function serve(
  config: ServicesOptions,
  pipeline: Pipeline,
  health: () => Health,
  log: Log,
  guard: EndpointGuard | undefined,
): Promise<Endpoint | undefined> {
  return startEndpoint({ host: config.metricsHost, port: config.metricsPort, render: pipeline.render, health, onError: log, guard }).then(
    (endpoint) => {
      log(servingMessage(endpoint.address, guard));
      return endpoint;
    },
    (reason: unknown) => {
      const error = reason as NodeJS.ErrnoException;
      log(
        `metrics endpoint disabled: cannot listen on ${config.metricsHost || "all interfaces"} port ${config.metricsPort}: ${error.code ?? error.message}; the runner runs on`,
      );
      return undefined;
    },
  );
}

/**
 * The start-up line: a URL that reaches the endpoint from this host, and what it listens on in
 * words ("[::]" or "0.0.0.0" in a URL would read as an address to open).
 */
export function servingMessage(address: AddressInfo, guard?: Pick<EndpointGuard, "scheme" | "summary">): string {
  const anyIPv6 = address.address === "::";
  const anyIPv4 = address.address === "0.0.0.0";
  const host = anyIPv6 || anyIPv4 ? "localhost" : address.family === "IPv6" ? `[${address.address}]` : address.address;
  const where = anyIPv6 ? "all interfaces" : anyIPv4 ? "all IPv4 interfaces" : `${address.address} only`;
  const protection = guard ? `; ${guard.summary}` : "";
  return `serving metrics on ${guard?.scheme ?? "http"}://${host}:${address.port}/metrics (listening on ${where}, port ${address.port}${protection})`;
}
