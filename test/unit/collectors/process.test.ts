import { readdirSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { processCollector } from "../../../src/collectors/process.js";
import { harness } from "./observe.js";

describe("the process collector", () => {
  it("reports this process's own memory, CPU, start time and descriptors, read at scrape time", async () => {
    const h = harness((r) => processCollector(r.both));
    const first = await h.after();
    const rss = first.value("process_resident_memory_bytes")!;
    expect(rss).toBeGreaterThan(10 * 1024 * 1024);
    expect(first.value("process_virtual_memory_bytes")!).toBeGreaterThan(rss);
    expect(Math.abs(first.value("process_start_time_seconds")! - (Date.now() / 1000 - process.uptime()))).toBeLessThan(2);
    expect(first.value("process_open_fds")).toBeGreaterThan(2);
    expect(Math.abs(first.value("process_open_fds")! - readdirSync("/proc/self/fd").length)).toBeLessThan(5);
    expect(first.value("process_max_fds")).toBeGreaterThanOrEqual(first.value("process_open_fds")!);
    const cpu = first.value("process_cpu_seconds_total")!;
    // Burn 0.15 s of CPU as Node's own clock counts it (wall time says nothing on a busy machine).
    const used = () => (process.cpuUsage().user + process.cpuUsage().system) / 1e6;
    const from = used();
    while (used() < from + 0.15);
    expect((await h.after()).value("process_cpu_seconds_total")!).toBeGreaterThan(cpu + 0.1);
  });
});
