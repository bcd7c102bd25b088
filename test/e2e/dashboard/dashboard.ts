import { readFileSync } from "node:fs";
import { join } from "node:path";
import { ROOT } from "../../helpers/index.js";

export const DASHBOARD_PATH = join(ROOT, "grafana", "dashboards", "github-runner-dashboard.json");
export const FLEET_DASHBOARD_PATH = join(ROOT, "grafana", "dashboards", "github-runner-fleet-dashboard.json");

export interface DatasourceRef {
  type?: string;
  uid?: string;
}

export interface Target {
  refId: string;
  expr: string;
  datasource?: DatasourceRef;
  instant?: boolean;
  range?: boolean;
  format?: string;
  legendFormat?: string;
}

export interface Panel {
  id: number;
  type: string;
  title: string;
  description?: string;
  datasource?: DatasourceRef;
  /** Grafana's smallest $__interval for the panel. */
  interval?: string;
  fieldConfig?: {
    defaults?: { unit?: string; min?: number; max?: number; thresholds?: { steps: { value: number | null; color: string }[] } };
  };
  targets?: Target[];
  panels?: Panel[];
}

export interface Variable {
  type: string;
  name: string;
  query?: unknown;
  datasource?: DatasourceRef | string | null;
  multi?: boolean;
  includeAll?: boolean;
  allValue?: string | null;
}

export interface Dashboard {
  uid: string;
  id: number | null;
  title: string;
  schemaVersion: number;
  panels: Panel[];
  templating: { list: Variable[] };
  time: { from: string; to: string };
  [key: string]: unknown;
}

/** The runners dashboard as shipped, parsed. */
export function loadDashboard(): Dashboard {
  return JSON.parse(readFileSync(DASHBOARD_PATH, "utf8")) as Dashboard;
}

/** The fleet dashboard as shipped, parsed. */
export function loadFleetDashboard(): Dashboard {
  return JSON.parse(readFileSync(FLEET_DASHBOARD_PATH, "utf8")) as Dashboard;
}

/** Every panel, rows' children included. */
export function allPanels(dashboard: Dashboard): Panel[] {
  return dashboard.panels.flatMap((p) => [p, ...(p.panels ?? [])]).filter((p) => p.type !== "row");
}

/** What a user picked for a multi-value variable: All, or some values. */
export type Selection = "All" | readonly string[];

export interface Interpolation {
  /** Absent for the fleet dashboard, which has no runner_name variable. */
  runner_name?: Selection;
  runner_type: Selection;
  /** Seconds. */
  rangeSeconds: number;
  /** Seconds: Grafana's $__interval for the panel (never under the datasource's scrape interval). */
  intervalSeconds: number;
  /** Seconds: the datasource's scrape interval (its "timeInterval" setting). */
  scrapeIntervalSeconds: number;
}

// Grafana escapes regex metacharacters of values that go into a =~ matcher.
const escapeRegex = (value: string) => value.replace(/[\\^$*+?.()|[\]{}]/g, "\\\\$&");

function formatSelection(variable: Variable, selection: Selection): string {
  if (selection === "All") {
    if (variable.allValue) return variable.allValue;
    throw new Error(`variable ${variable.name}: All without allValue is expanded from its options; the test picks values instead`);
  }
  if (selection.length === 1) return escapeRegex(selection[0]!);
  return `(${selection.map(escapeRegex).join("|")})`;
}

/** Grafana's $__rate_interval: max($__interval + scrape interval, 4 x scrape interval). */
export function rateIntervalSeconds(o: Pick<Interpolation, "intervalSeconds" | "scrapeIntervalSeconds">): number {
  return Math.max(o.intervalSeconds + o.scrapeIntervalSeconds, 4 * o.scrapeIntervalSeconds);
}

/** Substitutes the dashboard's variables and Grafana's built-ins the way Grafana does for Prometheus. */
export function interpolate(dashboard: Dashboard, expr: string, o: Interpolation): string {
  const vars = new Map(dashboard.templating.list.map((v) => [v.name, v]));
  const value = (name: string): string => {
    switch (name) {
      case "__rate_interval":
        return `${rateIntervalSeconds(o)}s`;
      case "__range":
        return `${o.rangeSeconds}s`;
      case "__interval":
        return `${o.intervalSeconds}s`;
      case "__interval_ms":
        return String(o.intervalSeconds * 1000);
      case "runner_name":
      case "runner_type": {
        const selection = o[name];
        if (!vars.has(name) || selection === undefined) throw new Error(`$${name} in ${expr} has no variable or no selection`);
        return formatSelection(vars.get(name)!, selection);
      }
      default:
        throw new Error(`unknown variable $${name} in ${expr}`);
    }
  };
  return expr.replace(/\$\{(\w+)\}|\$(\w+)/g, (_m, braced: string | undefined, bare: string | undefined) => value((braced ?? bare)!));
}
