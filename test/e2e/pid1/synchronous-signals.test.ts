// SIGABRT, SIGTRAP and SIGSYS sent to PID 1 are neither forwarded nor acted on, as with tini:
// the runner goes on and its own exit code is returned. Needs root (unshare --pid).
import { afterEach, describe, expect, it } from "vitest";
import { IMPLS, killAll, runAsPid1, sleep, type Impl } from "./namespace.js";

afterEach(() => killAll());

describe.each(IMPLS)("as PID 1: %s", (impl: Impl) => {
  it.each(["SIGABRT", "SIGTRAP", "SIGSYS"] as const)("%s from outside leaves the child running", async (signal) => {
    const run = runAsPid1(impl, ["sh", "-c", "echo up; sleep 1; echo survived; exit 5"]);
    await run.waitForOutput("up");
    process.kill(await run.pid1(), signal);
    await sleep(100);
    const exit = await run.exit;
    expect(exit.code).toBe(5);
    expect(run.stdout()).toBe("up\nsurvived\n");
  });
});
