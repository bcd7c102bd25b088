// The PID-1 settings: each bad value stops start-up with exit 78 and a message naming the
// setting and what it accepts, before anything is spawned.
import { spawnSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { BIN, FIXTURES } from "../helpers/supervisor.js";

function run(args: string[], env: Record<string, string> = {}) {
  const result = spawnSync(process.execPath, [BIN, "--no-metrics", ...args, "--", "sh", "-c", "echo spawned"], {
    env: { ...process.env, RUNNER_HOME: FIXTURES, ...env },
    encoding: "utf8",
    timeout: 10_000,
  });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe("PID-1 settings", () => {
  it.each([
    [["--stop-grace-period", "soon"], {}, /invalid --stop-grace-period="soon": expected a number of seconds/],
    [[], { STOP_GRACE_PERIOD: "-1" }, /invalid STOP_GRACE_PERIOD="-1": expected a number of seconds/],
    [[], { DRAIN_ENABLED: "maybe" }, /invalid DRAIN_ENABLED="maybe": expected true or false/],
    [["--drain-timeout", "1e9"], {}, /invalid --drain-timeout="1e9": expected a number of seconds from 0 to 604800/],
    [[], { EXIT_CODES_TO_ZERO: "143,256" }, /invalid EXIT_CODES_TO_ZERO="143,256": expected a comma-separated list of exit codes/],
    [[], { SIGNAL_PROCESS_GROUP: "group" }, /invalid SIGNAL_PROCESS_GROUP="group": expected true or false/],
    [["--parent-death-signal", "SIGNOPE"], {}, /invalid --parent-death-signal="SIGNOPE": expected a signal name/],
  ] as const)("rejects %j %j with exit 78", (args, env, message) => {
    const result = run([...args], env);
    expect(result.code).toBe(78);
    expect(result.stderr).toMatch(message);
    expect(result.stdout).not.toContain("spawned");
  });

  it("accepts good values", () => {
    const result = run(["--stop-grace-period", "2.5", "--drain", "--drain-timeout", "60", "--signal-group", "--parent-death-signal", "term"], {
      EXIT_CODES_TO_ZERO: "130, 143",
    });
    expect(result.code).toBe(0);
    expect(result.stdout).toBe("spawned\n");
  });
});
