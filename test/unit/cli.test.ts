import { spawnSync } from "node:child_process";
import { copyFileSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { flagOf, parseCli } from "../../src/cli.js";
import { EXIT_CONFIG } from "../../src/config/config.js";
import { OPTIONS } from "../../src/config/options.js";
import { removeTempDirs, ROOT, tempDir } from "../helpers/index.js";

function parse(...argv: string[]) {
  let out = "";
  let err = "";
  const result = parseCli(argv, { out: (s) => (out += s), err: (s) => (err += s) });
  return { result, out, err };
}

describe("the command line", () => {
  it("keeps only the flags typed, typed, and the command after --", () => {
    const { result } = parse("--metrics-port", "9100", "--drain", "--no-metrics", "--", "./entrypoint.sh", "--flag-of-the-child");
    expect(result).toEqual({
      kind: "run",
      flags: { metricsPort: "9100", drain: true, metrics: false },
      command: ["./entrypoint.sh", "--flag-of-the-child"],
    });
    expect(parse().result).toEqual({ kind: "run", flags: {}, command: [] });
  });

  it("prints help and the version on stdout and exits 0; a wrong flag exits 78 with one line on stderr", () => {
    const help = parse("--help");
    expect(help.result).toEqual({ kind: "exit", code: 0 });
    for (const spec of Object.values(OPTIONS)) expect(help.out).toContain(spec.env);
    expect(parse("--version").out).toMatch(/^\d+\.\d+\.\d+/);
    const wrong = parse("--frobnicate");
    expect(wrong.result).toEqual({ kind: "exit", code: EXIT_CONFIG });
    expect(wrong.err).toBe("runner-supervisor: unknown option '--frobnicate' (see runner-supervisor --help)\n");
    expect(parse("--metrics-port").err).toBe(
      "runner-supervisor: option '--metrics-port <port>' argument missing (see runner-supervisor --help)\n",
    );
  });

  it("says in one line, without a stack trace, that a source checkout is not built yet", () => {
    const dir = tempDir("unbuilt-");
    mkdirSync(join(dir, "bin"));
    copyFileSync(join(ROOT, "bin", "runner-supervisor.js"), join(dir, "bin", "runner-supervisor.js"));
    writeFileSync(join(dir, "package.json"), '{"type": "module"}');
    const r = spawnSync(process.execPath, [join(dir, "bin", "runner-supervisor.js"), "--help"], { encoding: "utf8" });
    expect(r.stderr).toBe("runner-supervisor: not built yet (no dist/entry.js): run `npm ci && npm run build` in the checkout first\n");
    expect(r.status).toBe(70);
    removeTempDirs();
  });

  it("writes a switch as the flag that changes its default", () => {
    expect(flagOf(OPTIONS.metrics)).toBe("--no-metrics");
    expect(flagOf(OPTIONS.drain)).toBe("--drain");
    expect(flagOf(OPTIONS.metricsPort)).toBe("--metrics-port <port>");
  });
});
