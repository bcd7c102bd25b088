import { describe, expect, it } from "vitest";
import { startSupervisor } from "../../helpers/index.js";

describe("built supervisor around test/fixtures/run.sh", () => {
  it("counts the job and exits with the child's code", async () => {
    const s = startSupervisor({ env: { FAKE_LINGER_SECONDS: "1", FAKE_EXIT: "3" } });
    const m = await s.waitFor((m) => m.value("github_runner_jobs_total", { status: "success" }) === 1);
    expect(m.value("github_runner_info", { version: "2.336.0" })).toBe(1);
    expect((await s.exit).code).toBe(3);
  });
});
