// The four prom-client classes the supervisor uses, each from its own file. prom-client's index
// also loads its Pushgateway client (http, https, zlib), cluster support and its default
// metrics (perf_hooks), which the supervisor never uses and which cost memory in every runner.
import Counter from "prom-client/lib/counter.js";
import Gauge from "prom-client/lib/gauge.js";
import Histogram from "prom-client/lib/histogram.js";
import Registry from "prom-client/lib/registry.js";

export { Counter, Gauge, Histogram, Registry };
export type { RegistryContentType } from "prom-client";
