import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    testTimeout: 90_000,
    hookTimeout: 90_000,
    // Integration tests run real processes: two cores, so keep the fan-out modest. `npm test` runs
    // test/e2e/pid1 in a second pass of its own: its timings (signals, reaping as PID 1, side by side
    // with tini) must not compete with the Prometheus and passthrough suites for the cores.
    maxWorkers: 2,
  },
});
