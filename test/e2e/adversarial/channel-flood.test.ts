// A flood on the job channel costs only its own job (issue 21, row 9): 2,000 connections held open
// on the channel's socket, each opened again as soon as it is closed, while 20 real job-started
// hooks run beside them. Every hook's message must reach the supervisor.
import { writeFileSync } from "node:fs";
import { connect, type Socket } from "node:net";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { removeTempDirs, stopAll, tempDir } from "../../helpers/index.js";
import { socketOf, startProduction } from "./harness.js";

afterEach(async () => {
  await stopAll();
  removeTempDirs();
});

const HOOKS = 20;
const FLOOD = 2_000;
/** Connections the flood may open in all, so it is bounded in count as well as in time. */
const FLOOD_MAX_OPENED = 300_000;

/** Holds `size` connections open on the socket, sending `first` (or nothing) and no more, opening a new one for each that closes. */
function flood(socketPath: string, size: number, first: string): { stop(): void; opened(): number } {
  let flooding = true;
  let opened = 0;
  const open: Set<Socket> = new Set();
  const one = (): void => {
    if (!flooding || opened >= FLOOD_MAX_OPENED) return;
    opened++;
    const c = connect(socketPath);
    open.add(c);
    c.on("error", () => undefined);
    if (first) c.on("connect", () => c.write(first));
    c.on("close", () => {
      open.delete(c);
      setImmediate(one);
    });
  };
  for (let i = 0; i < size; i++) one();
  return {
    stop: () => {
      flooding = false;
      for (const c of open) c.destroy();
    },
    opened: () => opened,
  };
}

describe("a flood on the job channel", () => {
  it.each([
    ["idle", ""],
    ["dribbling (half a message each)", '{"kind":"cache","cacheType":"np'],
  ])(
    "row 9: 2,000 %s connections (beyond the 1,024 held) kept open beside 20 real hooks: every hook's message arrives",
    async (_kind, first) => {
      const dir = tempDir();
      const go = join(dir, "go");
      const runner = [
        'echo "socket=$RUNNER_SUPERVISOR_SOCKET"',
        "export GITHUB_RUN_ID=1 GITHUB_RUN_ATTEMPT=1 GITHUB_REPOSITORY=acme/shop GITHUB_WORKFLOW=CI GITHUB_JOB=build GITHUB_EVENT_NAME=push GITHUB_EVENT_PATH=/nonexistent",
        `while [ ! -e "${go}" ]; do sleep 0.05; done`,
        // The runner runs a hook with bash -e, as the job-started hook of 20 jobs in a row.
        `i=0; while [ $i -lt ${HOOKS} ]; do bash --noprofile --norc -e "$ACTIONS_RUNNER_HOOK_JOB_STARTED"; i=$((i+1)); sleep 0.1; done`,
        'echo "hooks done"',
        "sleep 60",
      ].join("\n");
      const s = startProduction({ command: ["/bin/sh", "-c", runner] });
      const socketPath = await socketOf(s);
      await s.port;
      const f = flood(socketPath, FLOOD, first);
      try {
        writeFileSync(go, "");
        for (let i = 0; i < 1200 && !s.stdout().toString().includes("hooks done"); i++) await new Promise((r) => setTimeout(r, 50));
        expect(s.stdout().toString()).toContain("hooks done");
      } finally {
        f.stop();
      }
      const m = await s.waitFor(() => true);
      const kept = m.value("github_runner_context_messages_total", { kind: "job_started" });
      console.log(`hooks' messages kept under a flood of ${FLOOD} ${_kind} connections (${f.opened()} opened in all): ${kept} of ${HOOKS}`);
      expect(f.opened()).toBeGreaterThan(FLOOD);
      expect(kept).toBe(HOOKS);
      expect(s.proc.exitCode).toBeNull();
    },
    90_000,
  );
});
