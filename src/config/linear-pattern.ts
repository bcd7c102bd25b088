/**
 * Operators' regular expressions run on text that workflow authors write (workflow names, job
 * keys, environments), once per job, on the main thread that passes the runner's output through.
 * A backtracking engine lets a pattern such as (a+)+$ take seconds or years on a 30-character
 * name, so these patterns are compiled for V8's linear-time engine (the l flag): matching time
 * grows with the text, never exponentially. That engine refuses what it cannot run in linear time
 * (backreferences, lookahead, lookbehind on Node 20, counted repetition above 16) and the i and u
 * flags: a pattern is checked with u first (its strict syntax), must not depend on u's meaning,
 * and ignores case by matching lower-cased text with a lower-cased pattern.
 */
import { setFlagsFromString } from "node:v8";

/** What a linear pattern may hold, in words, for the start-up error. */
export const LINEAR_RULE =
  "that runs in linear time: no backreferences, lookahead (nor lookbehind on Node 20), \\p{...}, \\u{...} or characters beyond U+FFFF, and counts in {n,m} up to 16";

/** A compiled operator pattern: whether it matches a value. */
export interface TextPattern {
  test(text: string): boolean;
}

let engineOn = false;

/** The pattern compiled for the linear-time engine, or undefined when it needs backtracking or the u flag. */
export function linearPattern(source: string, ignoreCase: boolean): TextPattern | undefined {
  try {
    new RegExp(source, ignoreCase ? "iu" : "u");
  } catch {
    return undefined;
  }
  if (needsUnicodeFlag(source)) return undefined;
  if (!engineOn) {
    // Read when a RegExp's flags are parsed, so turning it on now is enough: only once a pattern is set.
    setFlagsFromString("--enable-experimental-regexp-engine");
    engineOn = true;
  }
  let compiled: RegExp;
  try {
    // eslint-disable-next-line no-invalid-regexp -- the l flag is V8's linear-time engine, turned on above
    compiled = new RegExp(ignoreCase ? lowerCased(source) : source, "l");
  } catch {
    return undefined;
  }
  return ignoreCase ? { test: (text) => compiled.test(text.toLowerCase()) } : compiled;
}

/** Whether a pattern (valid with u) would mean something else without it: property and code point escapes, astral characters. */
function needsUnicodeFlag(source: string): boolean {
  for (let i = 0; i < source.length; i++) {
    const c = source.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdfff) return true;
    if (source[i] !== "\\") continue;
    const next = source[++i];
    if (next === "p" || next === "P" || (next === "u" && source[i + 1] === "{")) return true;
  }
  return false;
}

/** The pattern with its letters lower-cased, but not the letter of an escape (\D is not \d) nor a group's name. */
function lowerCased(source: string): string {
  let out = "";
  for (let i = 0; i < source.length; i++) {
    const ch = source[i]!;
    if (ch === "\\") {
      out += source.slice(i, i + 2);
      i++;
    } else if (ch === "(" && source.startsWith("?<", i + 1) && !"=!".includes(source[i + 3] ?? "")) {
      const end = source.indexOf(">", i);
      out += source.slice(i, end + 1);
      i = end;
    } else {
      const lower = ch.toLowerCase();
      out += lower.length === 1 ? lower : ch;
    }
  }
  return out;
}
