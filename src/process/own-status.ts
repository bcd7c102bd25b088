import { readFileSync } from "node:fs";

const FIELDS = {
  VmRSS: /^VmRSS:\s+(\d+) kB/m,
  VmSize: /^VmSize:\s+(\d+) kB/m,
  RssAnon: /^RssAnon:\s+(\d+) kB/m,
} as const;

/** One memory figure of this process from /proc/self/status, in KiB; undefined where it cannot be read. */
export function ownStatusKiB(field: keyof typeof FIELDS): number | undefined {
  try {
    const m = FIELDS[field].exec(readFileSync("/proc/self/status", "utf8"));
    return m ? Number(m[1]) : undefined;
  } catch {
    return undefined;
  }
}
