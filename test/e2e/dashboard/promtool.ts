import { spawnSync } from "node:child_process";
import { requireTool } from "./prometheus-server.js";

export interface ToolRun {
  code: number | null;
  output: string;
}

/** Runs Debian's promtool with arguments; output is stdout and stderr together. */
export function promtool(...args: string[]): ToolRun {
  requireTool("promtool");
  const run = spawnSync("promtool", args, { encoding: "utf8", timeout: 20_000 });
  return { code: run.status, output: `${run.stdout}${run.stderr}` };
}
