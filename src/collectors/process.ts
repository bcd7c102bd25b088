import { readdirSync, readFileSync } from "node:fs";
import { Counter, Gauge } from "../metrics/prom-client.js";
import { nameOf, type Collector, type Registers } from "./collector.js";
import { ownStatusKiB } from "../process/own-status.js";

/**
 * The supervisor's own footprint, under the standard names of Prometheus's process collector,
 * so an operator can check its budget on a live runner. Read from /proc (and Node's own CPU
 * clock) at scrape time: nothing is kept between scrapes.
 */
export function processCollector(registers: Registers): Collector {
  let cpuSoFar = 0;
  const cpu = new Counter({
    name: "process_cpu_seconds_total",
    help: "Total user and system CPU time spent in seconds.",
    registers,
    collect() {
      const { user, system } = process.cpuUsage();
      const total = (user + system) / 1e6;
      this.inc(Math.max(0, total - cpuSoFar));
      cpuSoFar = total;
    },
  });
  const startTime = new Gauge({ name: "process_start_time_seconds", help: "Start time of the process since unix epoch in seconds.", registers });
  const resident = new Gauge({
    name: "process_resident_memory_bytes",
    help: "Resident memory size in bytes.",
    registers,
    collect() {
      setFrom(this, ownStatusKiB("VmRSS"), 1024);
    },
  });
  const virtual = new Gauge({
    name: "process_virtual_memory_bytes",
    help: "Virtual memory size in bytes.",
    registers,
    collect() {
      setFrom(this, ownStatusKiB("VmSize"), 1024);
    },
  });
  const openFds = new Gauge({
    name: "process_open_fds",
    help: "Number of open file descriptors.",
    registers,
    collect() {
      setFrom(this, openDescriptors(), 1);
    },
  });
  const maxFds = new Gauge({
    name: "process_max_fds",
    help: "Maximum number of open file descriptors.",
    registers,
    collect() {
      setFrom(this, descriptorLimit(), 1);
    },
  });
  startTime.set(Math.round(Date.now() / 1000 - process.uptime()));
  return { names: [cpu, startTime, resident, virtual, openFds, maxFds].map(nameOf), observe: () => undefined };
}

/** Sets the gauge when the value could be read; a value that cannot be read is not replaced by a guess. */
function setFrom(gauge: Gauge, value: number | undefined, unit: number): void {
  if (value !== undefined) gauge.set(value * unit);
}

function openDescriptors(): number | undefined {
  try {
    return readdirSync("/proc/self/fd").length;
  } catch {
    return undefined;
  }
}

function descriptorLimit(): number | undefined {
  const m = /^Max open files\s+(\d+)/m.exec(readOr("/proc/self/limits"));
  return m ? Number(m[1]) : undefined;
}

function readOr(path: string): string {
  try {
    return readFileSync(path, "utf8");
  } catch {
    return "";
  }
}
