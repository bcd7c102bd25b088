import { Registry, type RegistryContentType } from "./prom-client.js";

/** Both exposition formats, served from two registries that hold the same metric objects. */
export interface Registries {
  readonly text: Registry<RegistryContentType>;
  readonly openMetrics: Registry<RegistryContentType>;
  /** Where every metric registers: both. */
  readonly both: Registry<RegistryContentType>[];
}

/** The two registries, with the labels every series carries (runner_name, runner_type). */
export function createRegistries(defaultLabels: Readonly<Record<string, string>>): Registries {
  const text = new Registry<RegistryContentType>();
  const openMetrics = new Registry<RegistryContentType>();
  text.setContentType(Registry.PROMETHEUS_CONTENT_TYPE);
  openMetrics.setContentType(Registry.OPENMETRICS_CONTENT_TYPE);
  text.setDefaultLabels({ ...defaultLabels });
  openMetrics.setDefaultLabels({ ...defaultLabels });
  return { text, openMetrics, both: [text, openMetrics] };
}
