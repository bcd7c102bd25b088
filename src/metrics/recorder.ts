import type { Change } from "../runner/state.js";
import type { Gauge } from "prom-client";
import { DRAINING_METRIC, type Registries, type RunnerMetrics } from "./definitions.js";

/** Turns the tracker's changes into metric updates. The only writer of the metrics. */
export function recordChange(metrics: RunnerMetrics, change: Change): void {
  switch (change.type) {
    case "online":
      metrics.status.set(change.online ? 1 : 0);
      break;
    case "busy":
      metrics.busy.set(change.busy ? 1 : 0);
      if (change.busy) metrics.jobStartTime.set(change.sinceEpochSeconds);
      else metrics.jobStartTime.clear();
      break;
    case "job-finished":
      metrics.jobs.inc({ status: change.status });
      if (change.durationSeconds !== undefined) metrics.jobDuration.observe({ status: change.status }, change.durationSeconds);
      metrics.lastJobCompletion.set({ status: change.status }, change.finishedAtEpochSeconds);
      break;
    case "version":
      metrics.info.reset();
      metrics.info.set({ version: change.version }, 1);
      break;
    case "listener-exit":
      if (change.reason === "retryable" || change.reason === "updating") metrics.relaunches.inc({ reason: change.reason });
      break;
    case "connect-error":
      metrics.connectionErrors.inc({ reason: "connect_error" });
      break;
    case "session-conflict":
      metrics.connectionErrors.inc({ reason: "session_conflict" });
      break;
    case "session-failed":
      metrics.connectionErrors.inc({ reason: "session_failed" });
      break;
    case "runner-removed":
      metrics.connectionErrors.inc({ reason: "runner_removed" });
      break;
    case "update-started":
      metrics.updates.inc();
      break;
    case "update-failed":
      metrics.updateFailures.inc();
      break;
    default:
      break;
  }
}

/** Shows whether the supervisor is draining; both registries hold the same gauge. */
export function recordDraining(registries: Registries, draining: boolean): void {
  (registries.text.getSingleMetric(DRAINING_METRIC) as Gauge | undefined)?.set(draining ? 1 : 0);
  registries.changes.bump();
}
