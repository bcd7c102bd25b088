// prom-client publishes types for its index only; its files export the same classes.
declare module "prom-client/lib/counter.js" {
  export { Counter as default } from "../metrics/prom-client.js";
}
declare module "prom-client/lib/gauge.js" {
  export { Gauge as default } from "../metrics/prom-client.js";
}
declare module "prom-client/lib/histogram.js" {
  export { Histogram as default } from "../metrics/prom-client.js";
}
declare module "prom-client/lib/registry.js" {
  export { Registry as default } from "../metrics/prom-client.js";
}
