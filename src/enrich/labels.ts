import type { JobLabelName } from "../config/parsers.js";
import type { TextPattern } from "../config/linear-pattern.js";
import type { JobContext } from "../messages/job-context.js";
import { OTHER } from "../common/names.js";

/** Value for a job whose context never arrived (no hook ran). */
export const UNKNOWN_VALUE = "unknown";

export interface LabelPolicyOptions {
  readonly names: readonly JobLabelName[];
  readonly patterns: Readonly<Partial<Record<JobLabelName, TextPattern | undefined>>>;
  /** Distinct values kept per label, besides unknown and other. */
  readonly maxValues: number;
}

/**
 * Opt-in repository and workflow labels for the job metrics, bounded twice: a value must match
 * its pattern, and once maxValues distinct values have been seen, new ones become "other".
 * Nothing else from a job (run id, SHA, branch) can ever become a label.
 */
export class LabelPolicy {
  private readonly seen = new Map<JobLabelName, Set<string>>();
  private readonly unknown: Readonly<Record<string, string>>;

  constructor(private readonly o: LabelPolicyOptions) {
    for (const name of o.names) this.seen.set(name, new Set());
    this.unknown = Object.freeze(labelsOfUnknownJob(o.names));
  }

  /** The labels of a job; {} when no label is turned on. */
  labelsFor(context: JobContext | undefined): Readonly<Record<string, string>> {
    if (!context) return this.unknown;
    const labels: Record<string, string> = {};
    for (const name of this.o.names) labels[name] = this.valueOf(name, context[name]);
    return labels;
  }

  private valueOf(name: JobLabelName, raw: string): string {
    const value = raw.slice(0, 128);
    const pattern = this.o.patterns[name];
    if (pattern && !pattern.test(raw)) return OTHER;
    const seen = this.seen.get(name)!;
    if (seen.has(value)) return value;
    if (seen.size >= this.o.maxValues) return OTHER;
    seen.add(value);
    return value;
  }
}

/** The labels of a job whose context never arrived: every turned-on label says unknown. */
export function labelsOfUnknownJob(names: readonly JobLabelName[]): Record<string, string> {
  return Object.fromEntries(names.map((name) => [name, UNKNOWN_VALUE]));
}
