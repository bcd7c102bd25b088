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
  const startTime = new Gauge({
    name: "process_start_time_seconds",
    help: "Start time of the process since unix epoch in seconds.",
    registers,
  });
  /** A gauge read from /proc at each scrape; a value that cannot be read is not replaced by a guess. */
  const readAtScrape = (name: string, help: string, read: () => number | undefined) =>
    new Gauge({
      name,
      help,
      registers,
      collect() {
        const value = read();
        if (value !== undefined) this.set(value);
      },
    });
  const kib = (field: Parameters<typeof ownStatusKiB>[0]) => () => {
    const value = ownStatusKiB(field);
    return value === undefined ? undefined : value * 1024;
  };
  const resident = readAtScrape("process_resident_memory_bytes", "Resident memory size in bytes.", kib("VmRSS"));
  const virtual = readAtScrape("process_virtual_memory_bytes", "Virtual memory size in bytes.", kib("VmSize"));
  const openFds = readAtScrape("process_open_fds", "Number of open file descriptors.", openDescriptors);
  const maxFds = readAtScrape("process_max_fds", "Maximum number of open file descriptors.", descriptorLimit);
  startTime.set(Math.round(Date.now() / 1000 - process.uptime()));
  return { names: [cpu, startTime, resident, virtual, openFds, maxFds].map(nameOf), observe: () => undefined };
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
