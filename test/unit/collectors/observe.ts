// What the collector tests share: a collector on fresh registries, fed observations, read back
// through a real rendering and the official Prometheus parser.
import type { Collector } from "../../../src/collectors/collector.js";
import { createRegistries, type Registries } from "../../../src/metrics/registries.js";
import type { Observation } from "../../../src/observation.js";
import { parseSamples, type Samples } from "../../helpers/index.js";

export interface Harness {
  readonly collector: Collector;
  /** Feeds observations, then scrapes. */
  after(...observations: Observation[]): Promise<Samples>;
}

export function harness(make: (registries: Registries) => Collector): Harness {
  const registries = createRegistries({ runner_name: "r", runner_type: "standard" });
  const collector = make(registries);
  return {
    collector,
    after: async (...observations) => {
      for (const o of observations) collector.observe(o);
      return parseSamples(await registries.text.metrics());
    },
  };
}
