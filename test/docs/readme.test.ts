import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ROOT } from "../helpers/index.js";
import { createCollectors } from "../../src/collectors/index.js";
import { resolveConfig } from "../../src/config/config.js";
import { createRegistries } from "../../src/metrics/registries.js";
import { systemClock } from "../../src/common/clock.js";
import { optionRows } from "./options-table.js";

const readme = readFileSync(join(ROOT, "README.md"), "utf8");

describe("README", () => {
  it("lists every option, with its variable, flag and default, exactly as the program has them", () => {
    for (const row of optionRows()) expect(readme, `README is missing the row:\n${row}`).toContain(row);
  });

  it("gives the two commands, and .ci/run runs the same test command", () => {
    expect(readme).toContain("npm ci && npm start");
    expect(readme).toContain("npm ci && npm test");
    const ci = readFileSync(join(ROOT, ".ci", "run"), "utf8");
    expect(ci).toMatch(/^npm ci$/m);
    expect(ci).toMatch(/^npm test\b/m);
  });

  it("lists exactly the Debian packages npm test installs (test/setup/ensure-tools.sh)", () => {
    const script = readFileSync(join(ROOT, "test", "setup", "ensure-tools.sh"), "utf8");
    const installed = new Set([...script.matchAll(/need\+=\(([\w.-]+)\)/g)].map((m) => m[1]!));
    const listed = /`npm test` installs what the tests run \(Debian's ([^;]+);/.exec(readme);
    expect(listed, "README: `npm test` installs what the tests run (Debian's ...; ...)").not.toBeNull();
    const named = new Set([...listed![1]!.matchAll(/`([\w.-]+)`/g)].map((m) => m[1]!));
    expect(installed.size).toBeGreaterThanOrEqual(6);
    expect([...named].sort()).toEqual([...installed].sort());
  });

  it("documents every metric the supervisor can expose, with every option that adds metrics turned on", () => {
    const config = resolveConfig({}, { RUNNER_HOME: "/", DEPLOY_PATTERN: "deploy", JOB_LABELS: "repository,workflow", OTEL_EXPORTER_OTLP_ENDPOINT: "http://127.0.0.1:4318" }, []);
    const collectors = createCollectors({ ...config, supervisorVersion: "0" }, createRegistries({}).both, systemClock);
    const names = collectors.flatMap((c) => c.names);
    expect(names.length).toBeGreaterThanOrEqual(24);
    for (const name of names) expect(readme, name).toContain(`\`${name}\``);
  });
});
