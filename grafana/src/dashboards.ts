// The dashboards the project ships, each with the file it is written to.
import type * as dashboard from "@grafana/grafana-foundation-sdk/dashboard";
import { fleetDashboard } from "./fleet-dashboard.js";
import { runnersDashboard } from "./runners-dashboard.js";

export interface Shipped {
  /** Path from the repository root. */
  readonly file: string;
  readonly build: () => dashboard.Dashboard;
}

/** Every dashboard, built from typed code; the JSON files are their output. */
export const DASHBOARDS: readonly Shipped[] = [
  { file: "grafana/dashboards/github-runner-dashboard.json", build: runnersDashboard },
  { file: "grafana/dashboards/github-runner-fleet-dashboard.json", build: fleetDashboard },
];
