import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ROOT } from "../helpers/supervisor.js";
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

  it("documents every metric the supervisor exposes", async () => {
    const { createMetrics } = await import("../../src/metrics/definitions.js");
    const { registries } = createMetrics({
      runnerName: "r",
      runnerType: "standard",
      initialRunnerVersion: "unknown",
      supervisorVersion: "0",
      jobDurationBuckets: [1],
      startEpochMs: 0,
      monotonicMs: () => 0,
    });
    const names = registries.text.getMetricsAsArray().map((m) => (m as unknown as { name: string }).name);
    names.push("github_runner_job_start_time_seconds"); // registered only while a job runs
    for (const name of names) expect(readme, name).toContain(`\`${name}\``);
  });
});
