// The dashboards are generated from typed code (grafana/src, on the Grafana Foundation SDK's
// builders and types): the committed JSON must be exactly what that code writes, the types must
// reject the mistakes a hand-written dashboard lets through, and the JSON must stay within what
// Grafana 8.5 (its schemaVersion, 36) knows, checked against Grafana 8.5's own published types
// (@grafana/schema 8.5.27) where they exist.
import { spawnSync } from "node:child_process";
import { cpSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { join, relative, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DASHBOARDS } from "../../../grafana/src/dashboards.js";
import { toJson } from "../../../grafana/src/panels.js";
import { ROOT } from "../../helpers/index.js";

const SRC = join(ROOT, "grafana", "src");
// Inside the repository, so that the copies resolve node_modules as the originals do.
const WORK = join(ROOT, ".cache", `grafana-types-${process.pid}`);

interface Mutation {
  /** What kind of mistake, as a reviewer would name it. */
  readonly mistake: string;
  readonly file: string;
  readonly find: string;
  readonly replace: string;
}

// Each mistake in a copy of its own; every one must fail to compile, and the unchanged copy must not.
const MUTATIONS: readonly Mutation[] = [
  {
    mistake: "misspelt option (builder method)",
    file: "panels.ts",
    find: ".showThresholdMarkers(true)",
    replace: ".showTresholdMarkers(true)",
  },
  {
    mistake: "misspelt key in a value mapping",
    file: "runners-dashboard.ts",
    find: '{ text: "Offline", color: "red", index: 0 }',
    replace: '{ text: "Offline", colour: "red", index: 0 }',
  },
  { mistake: "misspelt key in a variable's current value", file: "panels.ts", find: 'value: ["$__all"]', replace: 'values: ["$__all"]' },
  { mistake: "wrong enum member (tooltip sort)", file: "panels.ts", find: "common.SortOrder.Descending", replace: "common.SortOrder.Desc" },
  {
    mistake: "wrong enum member (query format)",
    file: "panels.ts",
    find: "prometheus.PromQueryFormat.TimeSeries",
    replace: "prometheus.PromQueryFormat.Timeseries",
  },
  {
    mistake: "wrong enum value as a string (stat colour mode)",
    file: "runners-dashboard.ts",
    find: "colorMode: common.BigValueColorMode.Background",
    replace: 'colorMode: "backgroud"',
  },
  {
    mistake: "string where Grafana wants a number (panel width)",
    file: "runners-dashboard.ts",
    find: "place: { x: 8, y: 0, w: 4, h: 5 }",
    replace: 'place: { x: 8, y: 0, w: "4", h: 5 }',
  },
  {
    mistake: "string where Grafana wants a number (threshold)",
    file: "runners-dashboard.ts",
    find: '[0.8, "yellow"]',
    replace: '["0.8", "yellow"]',
  },
];

// Keys and values Grafana 8.5 does not know, injected into a copy of the committed JSON's options.
const NEWER_KEYS: readonly { readonly mistake: string; readonly panelType: string; readonly inject: (p: PanelJson) => void }[] = [
  { mistake: "stat option wideLayout (Grafana 10)", panelType: "stat", inject: (p) => void (p.options!.wideLayout = true) },
  {
    mistake: "time series field option insertNulls (Grafana 10)",
    panelType: "timeseries",
    inject: (p) => void (p.fieldConfig.defaults.custom!.insertNulls = false),
  },
  {
    mistake: "tooltip mode value unknown to 8.5",
    panelType: "timeseries",
    inject: (p) => void ((p.options!.tooltip as Record<string, unknown>).mode = "all"),
  },
];

interface PanelJson {
  id: number;
  type: string;
  options?: Record<string, unknown>;
  fieldConfig: { defaults: { custom?: Record<string, unknown> } };
}

// Grafana 8.5's own shapes (string enums loosened to their values, as JSON holds them), composed
// into each panel type's options. The per-panel compositions (which shapes a stat or a pie chart
// has) follow Grafana 8.5's panel plugins; the shapes themselves come from @grafana/schema 8.5.27.
const GRAFANA_85_TYPES = `import type * as g from "@grafana/schema";
type Loose<T> = T extends string ? \`\${T}\` : T extends (infer U)[] ? Loose<U>[] : T extends object ? { [K in keyof T]: Loose<T[K]> } : T;
// showLegend: read by Grafana 9.1 and later (schema 37 migration); 8.5 ignores it and shows the legend by displayMode.
type Legend = Loose<g.VizLegendOptions> & { showLegend?: boolean };
type Tooltip = Loose<g.VizTooltipOptions>;
type SingleStat = Loose<g.SingleStatBaseOptions>;
export type StatOptions = SingleStat & { colorMode: \`\${g.BigValueColorMode}\`; graphMode: \`\${g.BigValueGraphMode}\`; justifyMode: \`\${g.BigValueJustifyMode}\`; textMode: \`\${g.BigValueTextMode}\` };
export type GaugeOptions = SingleStat & { showThresholdLabels: boolean; showThresholdMarkers: boolean };
export type TimeseriesOptions = { legend: Legend; tooltip: Tooltip };
export type GraphCustom = Loose<g.GraphFieldConfig>;
export type PieOptions = { reduceOptions: Loose<g.ReduceDataOptions>; pieType: "pie" | "donut"; displayLabels: ("name" | "value" | "percent")[]; legend: Legend & { values: ("value" | "percent")[] }; tooltip: Tooltip };
export type TableOptions = { showHeader: boolean; sortBy?: Loose<g.TableSortByFieldState>[] };
`;

const OPTION_TYPES: Record<string, string> = {
  stat: "StatOptions",
  gauge: "GaugeOptions",
  timeseries: "TimeseriesOptions",
  piechart: "PieOptions",
  table: "TableOptions",
};

/** A TypeScript file that types every panel's options (and time series field options) with Grafana 8.5's shapes. */
function grafana85Check(dashboards: readonly { name: string; panels: PanelJson[] }[]): string {
  const lines: string[] = [];
  const used = new Set<string>();
  for (const d of dashboards) {
    for (const p of d.panels) {
      const type = OPTION_TYPES[p.type];
      if (!type) throw new Error(`panel type ${p.type} has no Grafana 8.5 options type here`);
      used.add(type);
      lines.push(`export const ${d.name}_${p.id}_options: ${type} = ${JSON.stringify(p.options ?? {})};`);
      if (p.type !== "timeseries") continue;
      used.add("GraphCustom");
      lines.push(`export const ${d.name}_${p.id}_custom: GraphCustom = ${JSON.stringify(p.fieldConfig.defaults.custom ?? {})};`);
    }
  }
  return `import type { ${[...used].join(", ")} } from "./grafana-85.js";\n${lines.join("\n")}\n`;
}

interface Diagnostic {
  file: string;
  line: number;
  text: string;
}

let diagnostics: Diagnostic[] = [];
let tscSeconds = 0;
const committed = DASHBOARDS.map((d) => ({
  name: d.file.includes("fleet") ? "fleet" : "runners",
  panels: (JSON.parse(readFileSync(join(ROOT, d.file), "utf8")) as { panels: PanelJson[] }).panels,
}));

beforeAll(() => {
  rmSync(WORK, { recursive: true, force: true });
  cpSync(SRC, join(WORK, "control"), { recursive: true });
  MUTATIONS.forEach((m, i) => {
    const dir = join(WORK, `mutant-${i}`);
    cpSync(SRC, dir, { recursive: true });
    const file = join(dir, m.file);
    const text = readFileSync(file, "utf8");
    // Exactly one place: if the source changes, this test says so instead of testing nothing.
    if (text.split(m.find).length !== 2) throw new Error(`${m.file}: "${m.find}" must occur exactly once`);
    writeFileSync(file, text.replace(m.find, m.replace));
  });
  mkdirSync(join(WORK, "grafana-85"), { recursive: true });
  writeFileSync(join(WORK, "grafana-85", "grafana-85.ts"), GRAFANA_85_TYPES);
  writeFileSync(join(WORK, "grafana-85", "committed.ts"), grafana85Check(committed));
  NEWER_KEYS.forEach((n, i) => {
    const copy = structuredClone(committed);
    const panel = copy.flatMap((d) => d.panels).find((p) => p.type === n.panelType)!;
    n.inject(panel);
    writeFileSync(
      join(WORK, "grafana-85", `newer-${i}.ts`),
      grafana85Check(copy.map((d) => ({ ...d, panels: d.panels.filter((p) => p === panel) }))),
    );
  });
  writeFileSync(
    join(WORK, "tsconfig.json"),
    JSON.stringify({
      extends: relative(WORK, join(ROOT, "tsconfig.json")),
      compilerOptions: { noEmit: true, rootDir: "." },
      include: ["**/*.ts"],
    }),
  );
  const started = performance.now();
  const run = spawnSync(process.execPath, [join(ROOT, "node_modules", "typescript", "bin", "tsc"), "-p", WORK, "--pretty", "false"], {
    encoding: "utf8",
    timeout: 60_000,
  });
  tscSeconds = (performance.now() - started) / 1000;
  diagnostics = run.stdout
    .split("\n")
    .map((l) => /^(.+?)\((\d+),\d+\): error (.*)$/.exec(l))
    .filter((m): m is RegExpExecArray => m !== null)
    // tsc names files relative to the directory it runs in.
    .map((m) => ({ file: relative(WORK, resolve(m[1]!)), line: Number(m[2]), text: m[3]! }));
  if (run.status !== 0 && diagnostics.length === 0) throw new Error(`tsc failed without diagnostics:\n${run.stdout}${run.stderr}`);
}, 90_000);

afterAll(() => rmSync(WORK, { recursive: true, force: true }));

describe("the dashboards as generated from grafana/src", () => {
  it.each(DASHBOARDS.map((d) => [d.file, d] as const))(
    "%s is what its typed definition writes, byte for byte (npm run dashboards)",
    (file, d) => {
      expect(readFileSync(join(ROOT, file), "utf8")).toBe(toJson(d.build()));
    },
  );

  it("are every dashboard file there is", () => {
    const files = readdirSync(join(ROOT, "grafana", "dashboards")).map((f) => `grafana/dashboards/${f}`);
    expect(files.sort()).toEqual(DASHBOARDS.map((d) => d.file).sort());
  });

  it("type-check unchanged (the control copy has no error)", () => {
    expect(diagnostics.filter((d) => d.file.startsWith("control/"))).toEqual([]);
  });

  it.each(MUTATIONS.map((m, i) => [m.mistake, i] as const))("reject an injected mistake: %s", (_mistake, i) => {
    const m = MUTATIONS[i]!;
    const mutated = readFileSync(join(WORK, `mutant-${i}`, m.file), "utf8").split("\n");
    const line = mutated.findIndex((l) => l.includes(m.replace)) + 1;
    const found = diagnostics.filter((d) => d.file === `mutant-${i}/${m.file}`);
    expect(found.length, `${m.mistake}: no error reported`).toBeGreaterThan(0);
    // The error points at the mistake (or the object literal around it), not somewhere unrelated.
    expect(
      found.some((d) => Math.abs(d.line - line) <= 2),
      JSON.stringify(found),
    ).toBe(true);
  });

  it("report errors only where mistakes were put", () => {
    const places = new Set(MUTATIONS.map((m, i) => `mutant-${i}/${m.file}`));
    for (const d of diagnostics.filter((x) => !x.file.startsWith("grafana-85/")))
      expect(places.has(d.file), `${d.file}:${d.line} ${d.text}`).toBe(true);
  });
});

describe("nothing newer than Grafana 8.5", () => {
  it("has schemaVersion 36 (what Grafana 8.5 writes) and panel types 8.5 has", () => {
    for (const d of DASHBOARDS) {
      const json = JSON.parse(readFileSync(join(ROOT, d.file), "utf8")) as { schemaVersion: number; panels: PanelJson[] };
      expect(json.schemaVersion, d.file).toBe(36);
      for (const p of json.panels) expect(Object.keys(OPTION_TYPES), `${d.file} panel ${p.id}`).toContain(p.type);
    }
  });

  it("uses only options and field options Grafana 8.5's own types know", () => {
    expect(diagnostics.filter((d) => d.file === "grafana-85/committed.ts" || d.file === "grafana-85/grafana-85.ts")).toEqual([]);
  });

  it.each(NEWER_KEYS.map((n, i) => [n.mistake, i] as const))("a check that fails on a newer key: %s", (_mistake, i) => {
    expect(diagnostics.filter((d) => d.file === `grafana-85/newer-${i}.ts`).length).toBeGreaterThan(0);
  });

  afterAll(() =>
    console.log(
      `grafana-types: one tsc run over ${MUTATIONS.length + 1} copies of grafana/src and the Grafana 8.5 checks: ${tscSeconds.toFixed(1)} s`,
    ),
  );
});
