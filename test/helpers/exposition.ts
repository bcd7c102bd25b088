// Scrapes parsed by the official Prometheus parser (python3-prometheus-client), not by code of ours.
import { spawnSync } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

interface Family {
  name: string;
  type: string;
  help: string;
  samples: { name: string; labels: Record<string, string>; value: number | string }[];
}

/** A parsed exposition with a lookup by sample name and labels. */
export interface Samples {
  all: Family[];
  /** The value of one sample (e.g. name_count, name_bucket with le), or undefined when absent. */
  value(name: string, labels?: Record<string, string>): number | undefined;
  /** Whether a family or a sample of that name is present. */
  has(name: string): boolean;
}

const PARSER = join(dirname(fileURLToPath(import.meta.url)), "parse-exposition.py");

/**
 * Parses an exposition with the official Prometheus Python client's parser (Debian package
 * python3-prometheus-client), not with code of ours. Throws on a parse error.
 */
export function parseSamples(text: string, format: "text" | "openmetrics" = "text"): Samples {
  const run = spawnSync("/usr/bin/python3", [PARSER, format], { input: text, encoding: "utf8", maxBuffer: 64 * 1024 * 1024 });
  if (run.status !== 0) throw new Error(`exposition does not parse (${format}): ${run.stderr}`);
  const all = JSON.parse(run.stdout) as Family[];
  const samples = all.flatMap((f) => f.samples);
  const matches = (have: Record<string, string>, want: Record<string, string>) => Object.entries(want).every(([k, v]) => have[k] === v);
  return {
    all,
    value: (name, labels = {}) => {
      const found = samples.find((s) => s.name === name && matches(s.labels, labels));
      return found === undefined ? undefined : Number(found.value);
    },
    has: (name) => all.some((f) => f.name === name) || samples.some((s) => s.name === name),
  };
}
