import { readFileSync } from "node:fs";

// A bundle defines this at build time (and drops the reading below); from the source tree the
// version is read from package.json.
declare const __SUPERVISOR_VERSION__: string | undefined;

/** The supervisor's own version. */
export const VERSION = typeof __SUPERVISOR_VERSION__ === "string" ? __SUPERVISOR_VERSION__ : readPackageVersion();

function readPackageVersion(): string {
  try {
    const pkg = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as { version?: unknown };
    return typeof pkg.version === "string" ? pkg.version : "unknown";
  } catch {
    return "unknown";
  }
}
