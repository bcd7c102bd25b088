// A small PromQL reader for the dashboard rules that need structure (which function a counter
// sits in, which range a rate uses). Validity itself is left to Prometheus (promtool): this
// only has to understand queries that Prometheus accepts.

export type Token =
  | { kind: "ident"; text: string }
  | { kind: "string"; text: string }
  | { kind: "number"; text: string }
  | { kind: "range"; text: string }
  | { kind: "variable"; text: string }
  | { kind: "punct"; text: string };

const KEYWORDS = new Set(["by", "without", "on", "ignoring", "group_left", "group_right", "bool", "and", "or", "unless", "offset"]);
const LABEL_LIST_KEYWORDS = new Set(["by", "without", "on", "ignoring", "group_left", "group_right"]);
const COUNTER_FUNCTIONS = new Set(["rate", "irate", "increase"]);
const AGGREGATIONS = new Set([
  "sum",
  "min",
  "max",
  "avg",
  "group",
  "stddev",
  "stdvar",
  "count",
  "count_values",
  "bottomk",
  "topk",
  "quantile",
]);

/** Splits a query into tokens; strings keep their quotes, ranges keep what is inside [ ]. */
export function tokenize(expr: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < expr.length) {
    const c = expr[i]!;
    if (/\s/.test(c)) {
      i++;
    } else if (c === '"' || c === "'" || c === "`") {
      let j = i + 1;
      while (j < expr.length && expr[j] !== c) j += expr[j] === "\\" && c !== "`" ? 2 : 1;
      tokens.push({ kind: "string", text: expr.slice(i, j + 1) });
      i = j + 1;
    } else if (c === "[") {
      const j = expr.indexOf("]", i);
      if (j < 0) throw new Error(`unclosed [ in ${expr}`);
      tokens.push({ kind: "range", text: expr.slice(i + 1, j).trim() });
      i = j + 1;
    } else if (c === "$" && /[a-zA-Z_{]/.test(expr[i + 1] ?? "")) {
      // A Grafana variable standing for a literal, e.g. $__interval_ms.
      const m = /^\$(\{\w+\}|\w+)/.exec(expr.slice(i))!;
      tokens.push({ kind: "variable", text: m[0] });
      i += m[0].length;
    } else if (/[a-zA-Z_:]/.test(c)) {
      const m = /^[a-zA-Z_:][a-zA-Z0-9_:]*/.exec(expr.slice(i))!;
      tokens.push({ kind: "ident", text: m[0] });
      i += m[0].length;
    } else if (/[0-9.]/.test(c)) {
      const m = /^[0-9.]+(?:e[+-]?\d+)?/i.exec(expr.slice(i))!;
      tokens.push({ kind: "number", text: m[0] });
      i += m[0].length;
    } else {
      const two = expr.slice(i, i + 2);
      const op = ["==", "!=", ">=", "<=", "=~", "!~"].includes(two) ? two : c;
      tokens.push({ kind: "punct", text: op });
      i += op.length;
    }
  }
  return tokens;
}

/** One metric selector found in a query: its name, its label matchers, its range, where it sits. */
export interface Selector {
  metric: string;
  /** The matchers as written, e.g. `runner_name=~"$runner_name"`. */
  matchers: string[];
  range: string | undefined;
  /** The innermost function or aggregation around it, if any. */
  enclosingFunction: string | undefined;
}

/** Every metric selector of a query, with its context. */
export function selectors(expr: string): Selector[] {
  const tokens = tokenize(expr);
  const found: Selector[] = [];
  // What each open parenthesis belongs to: a function name, a label list, or plain grouping.
  const stack: string[] = [];
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i]!;
    const next = tokens[i + 1];
    if (t.kind === "punct" && t.text === "(") {
      stack.push("");
      continue;
    }
    if (t.kind === "punct" && t.text === ")") {
      stack.pop();
      continue;
    }
    if (t.kind !== "ident") continue;
    if (stack.at(-1) === "#labels") continue;
    if (LABEL_LIST_KEYWORDS.has(t.text) && next?.text === "(") {
      stack.push("#labels");
      i++;
      continue;
    }
    if (KEYWORDS.has(t.text)) continue;
    // `sum by (a, b) (...)`: the clause comes before the aggregation's own parenthesis.
    if (AGGREGATIONS.has(t.text) && next?.kind === "ident" && (next.text === "by" || next.text === "without")) {
      let j = i + 2;
      while (j < tokens.length && tokens[j]!.text !== ")") j++;
      if (tokens[j + 1]?.text !== "(") throw new Error(`cannot read the aggregation at token ${i} of ${expr}`);
      stack.push(t.text);
      i = j + 1;
      continue;
    }
    if (next?.kind === "punct" && next.text === "(") {
      stack.push(t.text);
      i++;
      continue;
    }
    // A metric name: read its {matchers} and [range].
    const matchers: string[] = [];
    let j = i + 1;
    if (tokens[j]?.text === "{") {
      j++;
      let current = "";
      while (j < tokens.length && tokens[j]!.text !== "}") {
        const tok = tokens[j]!;
        if (tok.text === ",") {
          if (current) matchers.push(current);
          current = "";
        } else current += tok.text;
        j++;
      }
      if (current) matchers.push(current);
      j++;
    }
    let range: string | undefined;
    if (tokens[j]?.kind === "range") {
      range = tokens[j]!.text;
      j++;
    }
    found.push({ metric: t.text, matchers, range, enclosingFunction: [...stack].reverse().find((s) => s !== "" && s !== "#labels") });
    i = j - 1;
  }
  return found;
}

/** Counters by Prometheus naming: *_total, and the _bucket/_sum/_count series of histograms. */
export function isCounter(metric: string): boolean {
  return /_(total|bucket|sum|count)$/.test(metric);
}

/** grafana/dashboard-linter's query rules, on one query; returns the problems found. */
export function lintQuery(expr: string, requiredMatchers: readonly string[]): string[] {
  const problems: string[] = [];
  const found = selectors(expr);
  if (found.length === 0) problems.push("reads no metric");
  for (const s of found) {
    if (isCounter(s.metric) && !(s.enclosingFunction && COUNTER_FUNCTIONS.has(s.enclosingFunction) && s.range)) {
      problems.push(`counter ${s.metric} is read outside rate(), irate() or increase()`);
    }
    if (s.enclosingFunction && ["rate", "irate"].includes(s.enclosingFunction) && s.range !== "$__rate_interval") {
      problems.push(`${s.enclosingFunction}(${s.metric}[${s.range}]) does not use $__rate_interval`);
    }
    if (s.enclosingFunction === "increase" && s.range !== "$__range" && s.range !== "$__rate_interval") {
      problems.push(`increase(${s.metric}[${s.range}]) uses neither $__range nor $__rate_interval`);
    }
    for (const m of requiredMatchers) if (!s.matchers.includes(m)) problems.push(`${s.metric} lacks the matcher ${m}`);
    if (s.matchers.some((m) => /^status=~?"[^"]*total/.test(m))) problems.push(`${s.metric} selects status="total"`);
  }
  return problems;
}
