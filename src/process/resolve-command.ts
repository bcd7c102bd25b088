import { accessSync, constants, statSync } from "node:fs";
import { delimiter, resolve } from "node:path";

/** Where a command is, or why it cannot be run (as execvp would say). */
export type ResolvedCommand = { readonly path: string } | { readonly errno: "ENOENT" | "EACCES" };

/** Finds a command as execvp does: a name with a slash relative to cwd, any other along PATH. */
export function resolveCommand(command: string, cwd: string, pathVariable: string | undefined): ResolvedCommand {
  if (command.includes("/")) return check(resolve(cwd, command));
  let denied = false;
  for (const dir of (pathVariable ?? "/usr/local/bin:/usr/bin:/bin").split(delimiter)) {
    const found = check(resolve(cwd, dir || ".", command));
    if ("path" in found) return found;
    denied ||= found.errno === "EACCES";
  }
  return { errno: denied ? "EACCES" : "ENOENT" };
}

function check(path: string): ResolvedCommand {
  try {
    if (!statSync(path).isFile()) return { errno: "EACCES" };
    accessSync(path, constants.X_OK);
    return { path };
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    return { errno: code === "ENOENT" || code === "ENOTDIR" ? "ENOENT" : "EACCES" };
  }
}
