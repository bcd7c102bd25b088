// The building blocks both dashboards share, written against the Grafana Foundation SDK's
// builders and types (the 10.1 release, the oldest there is): a misspelt option, a wrong enum
// value or a string where Grafana wants a number does not compile.
import * as common from "@grafana/grafana-foundation-sdk/common";
import * as dashboard from "@grafana/grafana-foundation-sdk/dashboard";
import * as gauge from "@grafana/grafana-foundation-sdk/gauge";
import * as piechart from "@grafana/grafana-foundation-sdk/piechart";
import * as prometheus from "@grafana/grafana-foundation-sdk/prometheus";
import * as stat from "@grafana/grafana-foundation-sdk/stat";
import * as table from "@grafana/grafana-foundation-sdk/table";
import * as timeseries from "@grafana/grafana-foundation-sdk/timeseries";

/**
 * Every panel, target and query variable points at the dashboard's own datasource variable:
 * the one form that works both for import in the UI and for file provisioning.
 */
export const DATASOURCE: dashboard.DataSourceRef = { type: "prometheus", uid: "${datasource}" };

/** Where a panel sits on Grafana's 24-column grid. */
export type Place = dashboard.GridPos;

/** A threshold step: the colour from this value up (null: from minus infinity). */
export type Step = [number | null, string];

/** One PromQL query of a panel. */
export interface Query {
  readonly expr: string;
  readonly legend: string;
  /** Table format (the uptime table); time series otherwise. */
  readonly table?: boolean;
}

function thresholds(steps: readonly Step[]): dashboard.ThresholdsConfigBuilder {
  return new dashboard.ThresholdsConfigBuilder()
    .mode(dashboard.ThresholdsMode.Absolute)
    .steps(steps.map(([value, color]) => ({ value, color })));
}

function colorBy(mode: dashboard.FieldColorModeId): dashboard.FieldColorBuilder {
  return new dashboard.FieldColorBuilder().mode(mode);
}

function target(query: Query, refId: string, instant: boolean): prometheus.DataqueryBuilder {
  const t = new prometheus.DataqueryBuilder().datasource(DATASOURCE).refId(refId).expr(query.expr).legendFormat(query.legend);
  // No editorMode (the query editor's mode, a key newer than Grafana 8.5): it changes only how the editor opens.
  return (instant ? t.instant() : t.range()).format(query.table ? prometheus.PromQueryFormat.Table : prometheus.PromQueryFormat.TimeSeries);
}

const refIds = (n: number) => "ABCDEFGHIJ".slice(0, n).split("");

/** The first value of each instant query, as one big number. */
function lastValue(): common.ReduceDataOptionsBuilder {
  return new common.ReduceDataOptionsBuilder().calcs(["lastNotNull"]).fields("").values(false);
}

export interface StatSpec {
  readonly id: number;
  readonly title: string;
  readonly description: string;
  readonly place: Place;
  readonly queries: readonly Query[];
  readonly unit: string;
  readonly decimals?: number;
  readonly steps: readonly Step[];
  readonly noValue?: string;
  readonly mappings?: dashboard.ValueMapping[];
  readonly textMode?: common.BigValueTextMode;
  readonly colorMode?: common.BigValueColorMode;
}

/** A stat panel of instant queries. */
export function statPanel(s: StatSpec): stat.PanelBuilder {
  const p = new stat.PanelBuilder()
    .id(s.id)
    .title(s.title)
    .description(s.description)
    .datasource(DATASOURCE)
    .gridPos(s.place)
    .unit(s.unit)
    .thresholds(thresholds(s.steps))
    .colorScheme(colorBy(dashboard.FieldColorModeId.Thresholds))
    .reduceOptions(lastValue())
    .orientation(common.VizOrientation.Auto)
    .textMode(s.textMode ?? common.BigValueTextMode.Auto)
    .colorMode(s.colorMode ?? common.BigValueColorMode.Value)
    .graphMode(common.BigValueGraphMode.None)
    .justifyMode(common.BigValueJustifyMode.Auto);
  if (s.decimals !== undefined) p.decimals(s.decimals);
  if (s.noValue !== undefined) p.noValue(s.noValue);
  if (s.mappings) p.mappings(s.mappings);
  const ids = refIds(s.queries.length);
  s.queries.forEach((q, i) => p.withTarget(target(q, ids[i]!, true)));
  return p;
}

export interface GaugeSpec {
  readonly id: number;
  readonly title: string;
  readonly description: string;
  readonly place: Place;
  readonly query: Query;
  readonly unit: string;
  readonly min: number;
  readonly max: number;
  readonly decimals: number;
  readonly steps: readonly Step[];
}

/** A gauge of one instant query. */
export function gaugePanel(s: GaugeSpec): gauge.PanelBuilder {
  return new gauge.PanelBuilder()
    .id(s.id)
    .title(s.title)
    .description(s.description)
    .datasource(DATASOURCE)
    .gridPos(s.place)
    .unit(s.unit)
    .min(s.min)
    .max(s.max)
    .decimals(s.decimals)
    .thresholds(thresholds(s.steps))
    .colorScheme(colorBy(dashboard.FieldColorModeId.Thresholds))
    .reduceOptions(lastValue())
    .showThresholdLabels(false)
    .showThresholdMarkers(true)
    .orientation(common.VizOrientation.Auto)
    .withTarget(target(s.query, "A", true));
}

export interface SeriesSpec {
  readonly id: number;
  readonly title: string;
  readonly description: string;
  readonly place: Place;
  readonly queries: readonly Query[];
  readonly unit: string;
  readonly min?: number;
  readonly max?: number;
  readonly decimals?: number;
  readonly bars?: boolean;
  /** Stack the series (parts of one whole). */
  readonly stacked?: boolean;
  /** Grafana's smallest $__interval for the panel ("1m" where the data is recorded once a minute). */
  readonly minInterval?: string;
  /** Per-query overrides: another unit on the right axis. */
  readonly rightAxis?: { readonly refId: string; readonly unit: string; readonly max?: number };
}

/** A time series panel of range queries. */
export function seriesPanel(s: SeriesSpec): timeseries.PanelBuilder {
  const p = new timeseries.PanelBuilder()
    .id(s.id)
    .title(s.title)
    .description(s.description)
    .datasource(DATASOURCE)
    .gridPos(s.place)
    .unit(s.unit)
    .drawStyle(s.bars ? common.GraphDrawStyle.Bars : common.GraphDrawStyle.Line)
    .lineWidth(1)
    .fillOpacity(s.bars ? 80 : s.stacked ? 40 : 10)
    .showPoints(common.VisibilityMode.Never)
    .spanNulls(false)
    .axisPlacement(common.AxisPlacement.Auto)
    .legend(
      new common.VizLegendOptionsBuilder()
        .displayMode(common.LegendDisplayMode.List)
        .placement(common.LegendPlacement.Bottom)
        .showLegend(true),
    )
    .tooltip(new common.VizTooltipOptionsBuilder().mode(common.TooltipDisplayMode.Multi).sort(common.SortOrder.Descending));
  if (s.min !== undefined) p.min(s.min);
  if (s.max !== undefined) p.max(s.max);
  if (s.decimals !== undefined) p.decimals(s.decimals);
  if (s.stacked) p.stacking(new common.StackingConfigBuilder().mode(common.StackingMode.Normal).group("A"));
  if (s.minInterval) p.interval(s.minInterval);
  if (s.rightAxis) {
    const properties: dashboard.DynamicConfigValue[] = [
      { id: "unit", value: s.rightAxis.unit },
      { id: "custom.axisPlacement", value: common.AxisPlacement.Right },
    ];
    if (s.rightAxis.max !== undefined) properties.push({ id: "max", value: s.rightAxis.max });
    p.overrideByQuery(s.rightAxis.refId, properties);
  }
  const ids = refIds(s.queries.length);
  s.queries.forEach((q, i) => p.withTarget(target(q, ids[i]!, false)));
  return p;
}

export interface PieSpec {
  readonly id: number;
  readonly title: string;
  readonly description: string;
  readonly place: Place;
  readonly query: Query;
}

/** A pie chart of one instant query, one slice per series, with a value-and-percent legend. */
export function piePanel(s: PieSpec): piechart.PanelBuilder {
  return new piechart.PanelBuilder()
    .id(s.id)
    .title(s.title)
    .description(s.description)
    .datasource(DATASOURCE)
    .gridPos(s.place)
    .unit("short")
    .decimals(0)
    .colorScheme(colorBy(dashboard.FieldColorModeId.PaletteClassic))
    .reduceOptions(lastValue())
    .pieType(piechart.PieChartType.Pie)
    .displayLabels([piechart.PieChartLabels.Name, piechart.PieChartLabels.Value])
    .legend(
      new piechart.PieChartLegendOptionsBuilder()
        .displayMode(common.LegendDisplayMode.Table)
        .placement(common.LegendPlacement.Right)
        .showLegend(true)
        .values([piechart.PieChartLegendValues.Value, piechart.PieChartLegendValues.Percent]),
    )
    .tooltip(new common.VizTooltipOptionsBuilder().mode(common.TooltipDisplayMode.Single).sort(common.SortOrder.None))
    .withTarget(target(s.query, "A", true));
}

export interface TableSpec {
  readonly id: number;
  readonly title: string;
  readonly description: string;
  readonly place: Place;
  readonly query: Query;
  readonly unit: string;
  readonly decimals: number;
  /** Result columns in order, with the header each gets. */
  readonly columns: readonly (readonly [string, string])[];
  /** The header of the column sorted on, descending. */
  readonly sortBy: string;
}

/** A table of one instant query in table format, its columns renamed and ordered. */
export function tablePanel(s: TableSpec): table.PanelBuilder {
  return new table.PanelBuilder()
    .id(s.id)
    .title(s.title)
    .description(s.description)
    .datasource(DATASOURCE)
    .gridPos(s.place)
    .unit(s.unit)
    .decimals(s.decimals)
    .showHeader(true)
    .sortBy([new common.TableSortByFieldStateBuilder().displayName(s.sortBy).desc(true)])
    .withTransformation({
      id: "organize",
      options: {
        excludeByName: { Time: true },
        indexByName: Object.fromEntries(s.columns.map(([name], i) => [name, i])),
        renameByName: Object.fromEntries(s.columns),
      },
    })
    .withTarget(target(s.query, "A", true));
}

/** The datasource variable every query follows. */
export function datasourceVariable(): dashboard.DatasourceVariableBuilder {
  // Grafana 8.5 keys variables by id: each gets its own name as id, never the SDK's shared zero UUID.
  return new dashboard.DatasourceVariableBuilder("datasource").id("datasource").label("Data source").type("prometheus");
}

/** A multi-value variable with All (".*", so new runners count too) from github_runner_info. */
export function labelVariable(name: string, label: string, query: string): dashboard.QueryVariableBuilder {
  return new dashboard.QueryVariableBuilder(name)
    .id(name)
    .label(label)
    .datasource(DATASOURCE)
    .query(query)
    .refresh(dashboard.VariableRefresh.OnTimeRangeChanged)
    .sort(dashboard.VariableSort.AlphabeticalAsc)
    .multi(true)
    .includeAll(true)
    .allValue(".*")
    .current({ selected: true, text: ["All"], value: ["$__all"] });
}

/** A link to the other dashboards of runner-supervisor (found by their shared tag). */
export function siblingLinks(): dashboard.DashboardLinkBuilder {
  return new dashboard.DashboardLinkBuilder("runner-supervisor dashboards")
    .type(dashboard.DashboardLinkType.Dashboards)
    .tags(["runner-supervisor"])
    .asDropdown(false)
    .includeVars(false)
    .keepTime(true)
    .targetBlank(false)
    .icon("external link")
    .tooltip("")
    .url("");
}

/** The dashboard frame both share: time range, refresh, tooltip, no annotations but Grafana's own. */
export function frame(title: string, uid: string, description: string): dashboard.DashboardBuilder {
  return new dashboard.DashboardBuilder(title)
    .uid(uid)
    .id(null)
    .description(description)
    .tags(["github-actions", "runners", "runner-supervisor"])
    .editable()
    .tooltip(dashboard.DashboardCursorSync.Crosshair)
    .time({ from: "now-6h", to: "now" })
    .timezone("")
    .refresh("30s")
    .timepicker(new dashboard.TimePickerBuilder().refreshIntervals(["10s", "30s", "1m", "5m", "15m", "30m", "1h"]))
    .fiscalYearStartMonth(0)
    .liveNow(false)
    .weekStart("")
    .version(1)
    .annotations([])
    .link(siblingLinks());
}

/** The dashboard as the file Grafana loads: two-space JSON and a final newline. */
export function toJson(d: dashboard.Dashboard): string {
  return `${JSON.stringify(d, null, 2)}\n`;
}
