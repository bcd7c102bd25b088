import { constants } from "node:os";
import { OTHER, SHORT_NAME, SHORT_NAME_RULE } from "../common/names.js";
import { LINEAR_RULE, linearPattern, type TextPattern } from "./linear-pattern.js";

/** What a parser returns for a value it does not accept: what it does accept, in words. */
export class ParseError {
  constructor(readonly accepts: string) {}
}

/** A raw value in, a value or what is accepted out. */
export type Parser<T> = (raw: string) => T | ParseError;

export function parseBoolean(raw: string): boolean | ParseError {
  const v = raw.trim().toLowerCase();
  if (["1", "true", "yes", "on"].includes(v)) return true;
  if (["0", "false", "no", "off"].includes(v)) return false;
  return new ParseError("true or false (also 1/0, yes/no, on/off)");
}

export function parsePort(raw: string): number | ParseError {
  const accepts = "an integer from 0 to 65535 (0 picks a free port)";
  if (!/^\d{1,5}$/.test(raw.trim())) return new ParseError(accepts);
  const port = Number(raw);
  return port <= 65535 ? port : new ParseError(accepts);
}

export function parseBuckets(raw: string): number[] | ParseError {
  return increasingNumbers(raw, "a comma-separated list of increasing positive numbers of seconds, e.g. 10,60,300");
}

/** Histogram bounds in bytes. */
export function parseByteBuckets(raw: string): number[] | ParseError {
  return increasingNumbers(raw, "a comma-separated list of increasing positive numbers of bytes, e.g. 268435456,1073741824");
}

function increasingNumbers(raw: string, accepts: string): number[] | ParseError {
  const parts = raw.split(",").map((s) => s.trim());
  const values = parts.map(Number);
  const ok =
    parts.length > 0 &&
    parts.length <= 64 &&
    parts.every((p) => p !== "") &&
    values.every((v, i) => Number.isFinite(v) && v > 0 && (i === 0 || v > values[i - 1]!));
  return ok ? values : new ParseError(accepts);
}

/** A number of seconds from min to max (decimals allowed). */
export function parseSeconds(min: number, max: number, what = ""): Parser<number> {
  const accepts = `a number of seconds from ${min} to ${max}${what}`;
  return (raw) => {
    const v = raw.trim();
    if (!/^\d+(\.\d+)?$/.test(v)) return new ParseError(accepts);
    const n = Number(v);
    return n >= min && n <= max ? n : new ParseError(accepts);
  };
}

export function parseInteger(min: number, max: number): Parser<number> {
  const accepts = `an integer from ${min} to ${max}`;
  return (raw) => {
    const v = raw.trim();
    if (!/^\d{1,9}$/.test(v)) return new ParseError(accepts);
    const n = Number(v);
    return n >= min && n <= max ? n : new ParseError(accepts);
  };
}

export function parseExitCodes(raw: string): number[] | ParseError {
  const accepts = "a comma-separated list of exit codes from 0 to 255, e.g. 143 or 130,143 (empty: none)";
  const parts = raw
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s !== "");
  if (parts.length > 256 || !parts.every((p) => /^\d{1,3}$/.test(p) && Number(p) <= 255)) return new ParseError(accepts);
  return [...new Set(parts.map(Number))];
}

/** A signal by name (with or without SIG), any but KILL and STOP. */
export function parseSignalName(raw: string): NodeJS.Signals | "" | ParseError {
  const accepts = "a signal name such as SIGTERM or TERM (empty: none)";
  const v = raw.trim().toUpperCase();
  if (v === "") return "";
  const name = (v.startsWith("SIG") ? v : `SIG${v}`) as NodeJS.Signals;
  return name in constants.signals && name !== "SIGKILL" && name !== "SIGSTOP" ? name : new ParseError(accepts);
}

const PATTERN_MAX_LENGTH = 512;
const PATTERN_RULE = `a regular expression of at most ${PATTERN_MAX_LENGTH} characters ${LINEAR_RULE}`;

/** Compiles a user's regular expression once, for the linear-time engine, so a bad one stops start-up. */
function compilePattern(raw: string, source: string, ignoreCase: boolean, accepts: string): TextPattern | undefined | ParseError {
  if (raw.trim() === "") return undefined;
  if (raw.length > PATTERN_MAX_LENGTH) return new ParseError(accepts);
  try {
    new RegExp(source, ignoreCase ? "i" : "");
  } catch (error) {
    // The parser's reason ("Unterminated group"), without its copy of the pattern.
    const reason = (error as Error).message.split(": ").pop();
    return new ParseError(`${accepts}; this one does not compile: ${reason}`);
  }
  return linearPattern(source, ignoreCase) ?? new ParseError(accepts);
}

/** An allowlist: a regular expression a whole value must match, case as written; empty for any value. */
export function parseWholeValuePattern(raw: string): TextPattern | undefined | ParseError {
  const accepts = `${PATTERN_RULE}, matched against the whole value, case-sensitively (empty: any)`;
  // Valid on its own first: "a)|(b" would otherwise slip out of the wrapping group.
  if (compilePattern(raw, raw, false, accepts) instanceof ParseError) return new ParseError(accepts);
  return compilePattern(raw, `^(?:${raw})$`, false, accepts);
}

/**
 * A regular expression found anywhere in a value, ignoring case; empty for none. It is used as
 * written, never wrapped: ^ and $ anchor it where the user puts them.
 */
export function parseSearchPattern(raw: string): TextPattern | undefined | ParseError {
  const accepts = `${PATTERN_RULE}, found anywhere in the value ignoring case; anchor it with ^ and $ (empty: none)`;
  return compilePattern(raw, raw, true, accepts);
}

/** An http(s) URL without query or fragment (and without user info unless allowed); trailing slashes dropped. */
export function parseBaseUrl(o: { allowEmpty: boolean; allowCredentials: boolean }): Parser<string> {
  const accepts = `an http or https URL without ${o.allowCredentials ? "" : "credentials, "}query or fragment${o.allowEmpty ? " (empty: none)" : ""}`;
  return (raw) => {
    const v = raw.trim();
    if (v === "" && o.allowEmpty) return "";
    let url: URL;
    try {
      url = new URL(v);
    } catch {
      return new ParseError(accepts);
    }
    const credentials = url.username !== "" || url.password !== "";
    const ok =
      (url.protocol === "http:" || url.protocol === "https:") &&
      (o.allowCredentials || !credentials) &&
      !url.search &&
      !url.hash &&
      v.length <= 2048;
    return ok ? url.href.replace(/\/+$/, "") : new ParseError(accepts);
  };
}

/** Surrounding white space (a CR from a file written on Windows, say) is not part of a token. */
export function parseToken(raw: string): string | ParseError {
  const token = raw.trim();
  return /^[\x21-\x7e]{0,1024}$/.test(token) ? token : new ParseError("a token of at most 1024 printable characters without spaces");
}

/** The job labels a user may turn on: never run id, SHA or branch (unbounded). */
export const JOB_LABEL_NAMES = ["repository", "workflow"] as const;
export type JobLabelName = (typeof JOB_LABEL_NAMES)[number];

export function parseJobLabels(raw: string): JobLabelName[] | ParseError {
  const accepts = "a comma-separated list of repository and workflow (empty or none: no extra labels)";
  const parts = raw
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s !== "" && s !== "none");
  if (!parts.every((p) => (JOB_LABEL_NAMES as readonly string[]).includes(p))) return new ParseError(accepts);
  return JOB_LABEL_NAMES.filter((name) => parts.includes(name));
}

export function parseCacheTypes(raw: string): string[] | ParseError {
  const accepts = `a comma-separated list of at most 32 names, each ${SHORT_NAME_RULE}, not ${OTHER}`;
  const parts = [
    ...new Set(
      raw
        .split(",")
        .map((s) => s.trim())
        .filter((s) => s !== ""),
    ),
  ];
  if (parts.length > 32 || !parts.every((p) => SHORT_NAME.test(p) && p !== OTHER)) return new ParseError(accepts);
  return parts;
}

/** Text that must match a pattern, taken as it is. */
export function text(pattern: RegExp, accepts: string): Parser<string> {
  return (raw) => (pattern.test(raw) ? raw : new ParseError(accepts));
}

/** One of a few words, as given. */
export function oneOf<const T extends string>(choices: readonly T[]): Parser<T> {
  const accepts = choices.join(", ");
  return (raw) => ((choices as readonly string[]).includes(raw.trim()) ? (raw.trim() as T) : new ParseError(`one of ${accepts}`));
}

/** OTEL_EXPORTER_OTLP_HEADERS as the OpenTelemetry SDKs read it: key=value pairs joined by commas. */
export function parseOtlpHeaders(raw: string): string | ParseError {
  const ok = raw.length <= 8192 && raw.split(",").every((pair) => /^\s*[!#$%&'*+.^_`|~0-9A-Za-z-]+\s*=[^,\p{Cc}]*$/u.test(pair));
  return ok ? raw : new ParseError("key=value pairs separated by commas (values URL-encoded), at most 8192 characters");
}
