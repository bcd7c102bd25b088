import { Gauge } from "../metrics/prom-client.js";
import { nameOf, type Collector, type Registers } from "./collector.js";

/** The supervisor itself: its version, and whether it holds back a SIGTERM (draining). */
export function supervisorCollector(o: { readonly supervisorVersion: string }, registers: Registers): Collector {
  const info = new Gauge({
    name: "github_runner_supervisor_info",
    help: "Always 1; the version label is runner-supervisor's own version.",
    labelNames: ["version"] as const,
    registers,
  });
  const draining = new Gauge({
    name: "github_runner_draining",
    help: "1 while the supervisor holds back a SIGTERM until the job in flight finishes (draining), 0 otherwise.",
    registers,
  });
  info.set({ version: o.supervisorVersion }, 1);
  draining.set(0);
  return {
    names: [info, draining].map(nameOf),
    observe: (change) => {
      if (change.type === "draining") draining.set(change.draining ? 1 : 0);
    },
  };
}
