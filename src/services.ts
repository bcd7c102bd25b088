import type { AddressInfo } from "node:net";
import { openJobChannel } from "./channel/job-channel.js";
import { holdsSecrets, type OptionValues } from "./config/config.js";
import type { EndpointGuard } from "./http/guard.js";
import type { Health } from "./http/routes.js";
import { startEndpoint, type Endpoint } from "./http/server.js";
import type { Log } from "./log.js";
import type { Pipeline } from "./pipeline.js";
import { takeOnInitDuties } from "./process/init-duties.js";

export type ServicesOptions = Pick<
  OptionValues,
  "metrics" | "metricsHost" | "metricsPort" | "parentDeathSignal" | "jobHooks" | "runnerHome" | "githubApiToken" | "pushgatewayUrl"
>;

/** What runs beside the runner: the endpoint, PID 1's duties, the job channel. */
export interface Services {
  /** Whether the endpoint serves (false when metrics are off or the port could not be bound). */
  readonly serving: Promise<boolean>;
  /** Variables for the runner's environment: its job hooks and the channel's socket. */
  readonly runnerEnv: Readonly<Record<string, string>>;
  /** Stops them all: one teardown, whatever happened to the runner. */
  close(): Promise<void>;
}

/**
 * Starts everything the runner needs beside it. None of it can stop the runner: an endpoint that
 * cannot listen, native calls that cannot load or a channel that cannot open each say why on
 * stderr, and the runner runs without them.
 */
export async function startServices(config: ServicesOptions, pipeline: Pipeline, health: () => Health, log: Log, guard?: EndpointGuard): Promise<Services> {
  // Listening goes on while the runner starts: the runner never waits for the endpoint.
  const endpoint = config.metrics ? serve(config, pipeline, health, log, guard) : Promise.resolve(undefined);
  const stopDuties = await takeOnInitDuties({ parentDeathSignal: config.parentDeathSignal, holdsSecrets: holdsSecrets(config), log });
  const channel = config.jobHooks
    ? await openJobChannel({ runnerHome: config.runnerHome, env: process.env, onMessage: (message) => pipeline.channelMessage(message), onRejected: () => pipeline.channelRejected(), log })
    : undefined;
  const unsubscribe = pipeline.subscribe((observation) => {
    if (observation.type === "job-started") channel?.restoreHookFiles();
  });
  return {
    serving: endpoint.then((e) => e !== undefined),
    runnerEnv: channel?.env ?? {},
    close: async () => {
      unsubscribe();
      stopDuties();
      await channel?.close();
      await (await endpoint)?.close();
      guard?.close();
    },
  };
}

function serve(config: ServicesOptions, pipeline: Pipeline, health: () => Health, log: Log, guard: EndpointGuard | undefined): Promise<Endpoint | undefined> {
  return startEndpoint({ host: config.metricsHost, port: config.metricsPort, render: pipeline.render, health, onError: log, guard }).then(
    (endpoint) => {
      log(servingMessage(endpoint.address, guard));
      return endpoint;
    },
    (reason: unknown) => {
      const error = reason as NodeJS.ErrnoException;
      log(`metrics endpoint disabled: cannot listen on ${config.metricsHost || "all interfaces"} port ${config.metricsPort}: ${error.code ?? error.message}; the runner runs on`);
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
