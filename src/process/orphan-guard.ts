import { spawnSync } from "node:child_process";
import type { Log } from "../common/log.js";
import { resolveCommand } from "./resolve-command.js";

/**
 * The setpriv(1) that starts the child with a parent-death signal, when the supervisor is not
 * PID 1 (as PID 1, its death ends every process of the container anyway). Without one that knows
 * --pdeathsig (util-linux 2.33 or later), says once what that means and returns undefined.
 */
export function orphanGuard(log: Log): string | undefined {
  if (process.pid === 1) return undefined;
  const found = resolveCommand("setpriv", "/", process.env.PATH);
  // stdout is null when setpriv could not be run at all, whatever its type says.
  // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition
  if ("path" in found && spawnSync(found.path, ["--help"], { encoding: "utf8", timeout: 2000 }).stdout?.includes("--pdeathsig"))
    return found.path;
  log("warning: not PID 1 and no setpriv with --pdeathsig (util-linux 2.33 or later): if this process is killed, the runner outlives it");
  return undefined;
}
