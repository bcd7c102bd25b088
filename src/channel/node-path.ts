import { realpathSync } from "node:fs";
import { join, relative, sep } from "node:path";

/**
 * The path of this process's Node that the job side can use for as long as the runner directory
 * lives. process.execPath is resolved through symlinks: started as
 * RUNNER_HOME/externals/node24/bin/node after a self-update, it names
 * RUNNER_HOME/externals.2.336.0/node24/bin/node, which the next-but-one update deletes. Such a
 * path is given back through the runner's own `externals` (or `bin`) symlink, which every update
 * points at the new version; any other path is kept as it is.
 */
export function stableNodePath(execPath: string, runnerHome: string): string {
  let home: string;
  try {
    home = realpathSync(runnerHome);
  } catch {
    return execPath;
  }
  const rest = relative(home, execPath);
  if (rest.startsWith("..") || rest.startsWith(sep) || rest === "") return execPath;
  const [top, ...below] = rest.split(sep);
  // externals.2.336.0 or bin.2.336.0: a version directory the symlinks point into.
  const m = /^(externals|bin)\.\d[\w.+-]*$/.exec(top ?? "");
  if (m) return join(runnerHome, m[1]!, ...below);
  return execPath;
}
