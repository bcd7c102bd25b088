// Bad configuration stops start-up with exit 78 and one line naming the setting and what it
// accepts, before anything is spawned; good values start the runner.
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { BIN, FIXTURES, removeTempDirs, startSupervisor, stopAll, tempDir } from "../../helpers/index.js";

afterEach(async () => {
  await stopAll();
  removeTempDirs();
});

describe("bad configuration stops start-up before anything is spawned", () => {
  const cases: [string, Record<string, string>, string[], RegExp][] = [
    [
      "METRICS_PORT=abc",
      { METRICS_PORT: "abc" },
      [],
      /^runner-supervisor: invalid METRICS_PORT="abc": expected an integer from 0 to 65535/,
    ],
    ["METRICS_PORT=70000", { METRICS_PORT: "70000" }, [], /^runner-supervisor: invalid METRICS_PORT="70000": expected an integer/],
    [
      "RUNNER_TYPE with spaces",
      { RUNNER_TYPE: "my runner" },
      [],
      /^runner-supervisor: invalid RUNNER_TYPE="my runner": expected a short lowercase name/,
    ],
    ["RUNNER_TYPE uppercase", { RUNNER_TYPE: "Chrome" }, [], /^runner-supervisor: invalid RUNNER_TYPE="Chrome"/],
    [
      "missing RUNNER_HOME",
      { RUNNER_HOME: "/nonexistent/actions-runner" },
      [],
      /^runner-supervisor: invalid RUNNER_HOME="\/nonexistent\/actions-runner": expected the path of an existing directory/,
    ],
    [
      "METRICS_ENABLED=maybe",
      { METRICS_ENABLED: "maybe" },
      [],
      /^runner-supervisor: invalid METRICS_ENABLED="maybe": expected true or false/,
    ],
    [
      "JOB_DURATION_BUCKETS not increasing",
      { JOB_DURATION_BUCKETS: "10,5" },
      [],
      /^runner-supervisor: invalid JOB_DURATION_BUCKETS="10,5"/,
    ],
    ["a bad flag value", {}, ["--metrics-port", "-1"], /^runner-supervisor: invalid --metrics-port="-1"/],
    ["an unknown flag", {}, ["--frobnicate"], /^runner-supervisor: unknown option '--frobnicate'/],
  ];
  it.each(cases)("%s", async (_name, env, args, message) => {
    const marker = join(tempDir("marker-"), "spawned");
    const s = startSupervisor({ env: { RUNNER_HOME: FIXTURES, ...env }, args, command: ["/bin/sh", "-c", `touch ${marker}`] });
    expect((await s.exit).code).toBe(78);
    expect(s.stderr()).toMatch(message);
    expect(s.stderr().trimEnd().split("\n")).toHaveLength(1);
    expect(s.stdout().length).toBe(0);
    expect(existsSync(marker)).toBe(false);
  });

  it("--help lists every option with its variable and default; --version prints the version", () => {
    const help = spawnSync(process.execPath, [BIN, "--help"], { encoding: "utf8" });
    expect(help.status).toBe(0);
    const text = help.stdout.replace(/\s+/g, " ");
    for (const v of [
      "env: RUNNER_HOME, default: /actions-runner",
      "env: RUNNER_NAME, default: the host name",
      "env: RUNNER_TYPE, default: standard",
      "env: METRICS_PORT, default: 9091",
      "env: METRICS_HOST",
      "env: METRICS_ENABLED",
    ]) {
      expect(text).toContain(v);
    }
    const version = spawnSync(process.execPath, [BIN, "--version"], { encoding: "utf8" });
    expect(version.status).toBe(0);
    expect(version.stdout.trim()).toBe(
      (JSON.parse(readFileSync(join(FIXTURES, "..", "..", "package.json"), "utf8")) as { version: string }).version,
    );
  });
});

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
    const result = run(
      ["--stop-grace-period", "2.5", "--drain", "--drain-timeout", "60", "--signal-group", "--parent-death-signal", "term"],
      {
        EXIT_CODES_TO_ZERO: "130, 143",
      },
    );
    expect(result.code).toBe(0);
    expect(result.stdout).toBe("spawned\n");
  });
});
