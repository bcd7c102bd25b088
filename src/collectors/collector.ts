import type { Registry, RegistryContentType } from "../metrics/prom-client.js";
import type { JobLabels, Observation } from "../observation.js";

/**
 * One concern's metrics, as a node_exporter collector: its definitions, their pre-seeded zeros
 * and the rule that updates them, in one file. Collectors only ever learn of the world through
 * observe(); the renderer knows a value may have changed because an observation was delivered.
 */
export interface Collector {
  /** Every metric it can expose (some only once they have a value), for the docs and their test. */
  readonly names: readonly string[];
  /** Updates its metrics for what happened; anything not its concern is ignored. */
  observe(observation: Observation): void;
}

/** Where a collector's metrics register: both exposition registries. */
export type Registers = Registry<RegistryContentType>[];

/** A metric's name (prom-client keeps it on the object; the helper gauges too). */
export function nameOf(metric: object): string {
  return (metric as { name: string }).name;
}

/** What the collectors of per-job metrics need to know of the opt-in job labels. */
export interface JobLabelling {
  /** The opt-in job labels turned on (repository, workflow). */
  readonly jobLabelNames: readonly string[];
  /** The labels of a job whose context never arrived, pre-seeded at start ({} without job labels). */
  readonly unknownJobLabels: JobLabels;
}

/** Seeds a job's series when a hook has just told its labels (and any are turned on), so increase() sees its first value. */
export function seedWhenLabelled(observation: Observation, seed: (labels: JobLabels) => void): void {
  if (observation.type === "job-labelled" && Object.keys(observation.labels).length > 0) seed(observation.labels);
}
