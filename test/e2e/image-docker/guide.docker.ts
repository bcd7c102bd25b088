import { afterAll, describe, expect, it } from "vitest";
import { freePort } from "../../helpers/index.js";
import { Container, docker } from "./containers.js";
import { runGuideBlock } from "./guide.js";
import { imageSuite, suiteEngine } from "./suite.js";

// The guide's plain `docker run` walk-through, run as written (only the host port is another free
// one: 9091 may be taken on the machine running the tests).
const engine = suiteEngine();
afterAll(() => docker(engine, ["rm", "-f", "runner"], { allowFailure: true }));

describe("the guide's docker run walk-through", () => {
  it("starts the runner, answers on the published port, shows the supervisor as PID 1, and stops cleanly", async () => {
    const port = await freePort();
    const r = await runGuideBlock("run", {
      cwd: imageSuite().userRepository,
      env: { ...engine.env, GITHUB_TOKEN: "placeholder", GITHUB_REPOSITORY: "octo-org/image-test" },
      replace: { "127.0.0.1:9091": `127.0.0.1:${port}` },
    });
    expect(r.stdout).toMatch(/^OK$/m);
    expect(r.stdout).toMatch(
      /^\s*1 runner\s+\/actions-runner\/externals\/node24\/bin\/node --max-semi-space-size=1 \/opt\/runner-supervisor\/runner-supervisor\.cjs -- \/entrypoint\.sh$/m,
    );
    expect(r.stdout).toMatch(/^(starting|healthy)$/m);
    const runner = new Container(engine, "runner");
    const state = await runner.inspect();
    // The guide's "What a stop returns": run.sh's code after a trapped SIGTERM.
    expect(state.State.ExitCode).toBe(143);
    expect(state.Config.StopTimeout).toBe(45);
    expect(await runner.logs()).toMatch(/\nExiting runner\.\.\.\n/);
  });
});
