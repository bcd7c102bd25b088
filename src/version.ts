import { readFileSync } from "node:fs";

// A single-file build defines this at build time; from the source tree it is read from package.json.
declare const __SUPERVISOR_VERSION__: string | undefined;

function readVersion(): string {
  if (typeof __SUPERVISOR_VERSION__ === "string") return __SUPERVISOR_VERSION__;
  try {
    const pkg = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as { version?: unknown };
    return typeof pkg.version === "string" ? pkg.version : "unknown";
  } catch {
    return "unknown";
  }
}

/** The supervisor's own version. */
export const VERSION = readVersion();
