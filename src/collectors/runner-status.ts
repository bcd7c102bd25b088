import { Counter, Gauge } from "../metrics/prom-client.js";
import type { OptionValues } from "../config/config.js";
import { OptionalGauge } from "../metrics/absent-gauges.js";
import type { Clock } from "../common/clock.js";
import { nameOf, type Collector, type Registers } from "./collector.js";

/** The runner as a whole: connected or not, busy or not, since when and for how long in all, and which version. */
export function runnerStatusCollector(o: Pick<OptionValues, "runnerVersion">, registers: Registers, clock: Clock): Collector {
  const startMono = clock.monotonicMs();
  // Busy time on the monotonic clock: the jobs that ended, plus the one in flight up to the scrape.
  let busyMs = 0;
  let busySinceMono: number | undefined;
  let busyReported = 0;
  const busySeconds = new Counter({
    name: "github_runner_busy_seconds_total",
    help: "Seconds the runner spent running jobs (Running job line to completed line), the job in flight included up to the scrape: rate() is the runner's utilization.",
    registers,
    collect() {
      const total = (busyMs + (busySinceMono === undefined ? 0 : clock.monotonicMs() - busySinceMono)) / 1000;
      this.inc(Math.max(0, total - busyReported));
      busyReported = Math.max(busyReported, total);
    },
  });
  const status = new Gauge({
    name: "github_runner_status",
    help: "1 while the runner's listener is connected to GitHub (listening or running a job), 0 otherwise.",
    registers,
  });
  const busy = new Gauge({ name: "github_runner_busy", help: "1 while the runner is running a job, 0 otherwise.", registers });
  const jobStartTime = new OptionalGauge(
    "github_runner_job_start_time_seconds",
    "Unix time the job in flight started; absent while idle.",
    registers,
  );
  const uptime = new Gauge({
    name: "github_runner_uptime_seconds",
    help: "Seconds since the supervisor started.",
    registers,
    collect() {
      this.set(Math.round((clock.monotonicMs() - startMono) / 10) / 100);
    },
  });
  const startTime = new Gauge({ name: "github_runner_start_time_seconds", help: "Unix time the supervisor started.", registers });
  const info = new Gauge({
    name: "github_runner_info",
    help: "Always 1; the version label is the runner's version as it printed it (the configured RUNNER_VERSION until then).",
    labelNames: ["version"] as const,
    registers,
  });
  status.set(0);
  busy.set(0);
  startTime.set(clock.epochMs() / 1000);
  info.set({ version: o.runnerVersion }, 1);

  return {
    names: [status, busy, busySeconds, jobStartTime, uptime, startTime, info].map(nameOf),
    observe: (change) => {
      if (change.type === "online") status.set(change.online ? 1 : 0);
      else if (change.type === "busy") {
        busy.set(change.busy ? 1 : 0);
        const now = clock.monotonicMs();
        if (change.busy) {
          busySinceMono ??= now;
          jobStartTime.set(change.sinceEpochSeconds);
        } else {
          if (busySinceMono !== undefined) busyMs += now - busySinceMono;
          busySinceMono = undefined;
          jobStartTime.clear();
        }
      } else if (change.type === "version") {
        info.reset();
        info.set({ version: change.version }, 1);
      }
    },
  };
}
