import { Counter } from "../metrics/prom-client.js";
import { nameOf, type Collector, type Registers } from "./collector.js";

/** Reasons for the relaunch counter: the two "Runner listener exit ... re-launch" lines. */
const RELAUNCH_REASONS = ["retryable", "updating"] as const;
/** The runner's connection problems, by the line that reported them. */
const CONNECTION_ERRORS = {
  "connect-error": "connect_error",
  "session-conflict": "session_conflict",
  "session-failed": "session_failed",
  "runner-removed": "runner_removed",
} as const;

/** The listener's life: relaunches by run.sh, connection problems, self-updates. */
export function listenerCollector(registers: Registers): Collector {
  const relaunches = new Counter({
    name: "github_runner_listener_relaunches_total",
    help: "Times the runner's listener exited and was relaunched by run.sh, by reason.",
    labelNames: ["reason"] as const,
    registers,
  });
  const connectionErrors = new Counter({
    name: "github_runner_connection_errors_total",
    help: "Connection problems the runner reported, by reason (connect_error counts the first error of a streak).",
    labelNames: ["reason"] as const,
    registers,
  });
  const updates = new Counter({ name: "github_runner_updates_total", help: "Self-updates the runner started.", registers });
  const updateFailures = new Counter({
    name: "github_runner_update_failures_total",
    help: "Self-updates the runner reported as failed.",
    registers,
  });
  for (const reason of RELAUNCH_REASONS) relaunches.inc({ reason }, 0);
  for (const reason of Object.values(CONNECTION_ERRORS)) connectionErrors.inc({ reason }, 0);
  updates.inc(0);
  updateFailures.inc(0);

  return {
    names: [relaunches, connectionErrors, updates, updateFailures].map(nameOf),
    observe: (change) => {
      if (change.type === "listener-exit" && (change.reason === "retryable" || change.reason === "updating"))
        relaunches.inc({ reason: change.reason });
      else if (change.type in CONNECTION_ERRORS)
        connectionErrors.inc({ reason: CONNECTION_ERRORS[change.type as keyof typeof CONNECTION_ERRORS] });
      else if (change.type === "update-started") updates.inc();
      else if (change.type === "update-failed") updateFailures.inc();
    },
  };
}
