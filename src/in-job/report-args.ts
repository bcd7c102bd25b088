import { type ChannelMessage, MAX_CACHE_COUNT } from "../messages/message.js";
import { SHORT_NAME } from "../common/names.js";

export const REPORT_USAGE = `Usage: runner-supervisor report cache --type <type> (--hit | --miss | --result <hit|miss|true|false> | --hits <n> --misses <n>)

Reports cache look-ups of the running job to the supervisor (github_runner_cache_requests_total).
--result takes the cache-hit output of actions/cache: true is a hit, anything else (false, empty) a miss.
Always exits 0, so a report never fails a step; problems are printed on stderr.
`;

/** Parses `report cache ...` arguments into a message, or an error text. */
export function parseReportArgs(args: readonly string[]): ChannelMessage | string {
  if (args[0] !== "cache") return "expected: report cache ...";
  let cacheType: string | undefined;
  let hits = 0;
  let misses = 0;
  let given = false;
  const countOf = (raw: string | undefined): number | undefined =>
    raw !== undefined && /^\d{1,6}$/.test(raw) && Number(raw) <= MAX_CACHE_COUNT ? Number(raw) : undefined;
  for (let i = 1; i < args.length; i++) {
    const arg = args[i]!;
    const [name, inline] =
      arg.startsWith("--") && arg.includes("=") ? [arg.slice(0, arg.indexOf("=")), arg.slice(arg.indexOf("=") + 1)] : [arg, undefined];
    const value = (): string | undefined => inline ?? args[++i];
    if (name === "--type") cacheType = value()?.trim().toLowerCase();
    else if (name === "--hit" || name === "--miss") {
      if (name === "--hit") hits += 1;
      else misses += 1;
      given = true;
    } else if (name === "--result") {
      const v = (value() ?? "").trim().toLowerCase();
      if (v === "hit" || v === "true") hits += 1;
      else misses += 1;
      given = true;
    } else if (name === "--hits" || name === "--misses") {
      const n = countOf(value());
      if (n === undefined) return `${name} expects an integer from 0 to ${MAX_CACHE_COUNT}`;
      if (name === "--hits") hits += n;
      else misses += n;
      given = true;
    } else return `unknown argument ${JSON.stringify(arg.slice(0, 64))}`;
  }
  if (!cacheType || !SHORT_NAME.test(cacheType)) return "--type expects a short lowercase name such as npm, apt or buildkit";
  if (!given) return "say --hit, --miss, --result <value> or --hits/--misses";
  if (hits + misses === 0) return "nothing to report (0 hits and 0 misses)";
  if (hits > MAX_CACHE_COUNT || misses > MAX_CACHE_COUNT) return `at most ${MAX_CACHE_COUNT} per report`;
  return { kind: "cache", cacheType, hits, misses };
}
