import { readFileSync } from "node:fs";
import { basename, join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { docker, removeContainers } from "./containers.js";
import { fragmentParts, imageSize, IMAGES, ROOT, RUNNER_STAGE } from "./images.mjs";
import { imageSuite, suiteEngine } from "./suite.js";

// The runner image as a user builds it, offline: Dockerfile.fragment's two parts pasted unchanged
// around the runner's stage, with BuildKit (the global setup, with the guide's command) and with
// the legacy builder.
const engine = suiteEngine();
const suite = imageSuite();
const owner = basename(import.meta.url);
const FRAGMENT = readFileSync(join(ROOT, "Dockerfile.fragment"), "utf8");
afterAll(() => removeContainers(engine, owner));

interface ImageConfig {
  User: string;
  WorkingDir: string;
  Entrypoint: string[];
  Cmd: string[];
  Env: string[];
  ExposedPorts: Record<string, object>;
  StopSignal: string;
  Healthcheck: { Test: string[]; Interval: number; Timeout: number; StartPeriod: number; Retries: number };
}
/** What an image's configuration says about how it runs (not where it came from). */
async function config(image: string): Promise<ImageConfig> {
  const c = (JSON.parse((await docker(engine, ["image", "inspect", image])).stdout) as { Config: ImageConfig }[])[0]!.Config;
  const { User, WorkingDir, Entrypoint, Cmd, Env, ExposedPorts, StopSignal, Healthcheck } = c;
  return { User, WorkingDir, Entrypoint, Cmd, Env, ExposedPorts, StopSignal, Healthcheck };
}

describe("the user's Dockerfile", () => {
  it("is the fragment's part 1, the runner's stage, then part 2, both parts unchanged", () => {
    const dockerfile = readFileSync(join(suite.userRepository, "Dockerfile"), "utf8");
    const { part1, part2 } = fragmentParts(FRAGMENT);
    expect(part1 + part2).toBe(FRAGMENT);
    expect(dockerfile).toBe(part1 + RUNNER_STAGE + part2);
  });
});

describe("built with BuildKit, offline (no registry but the local base images)", () => {
  it("runs the supervisor as the runner's non-root user, with the fragment's entrypoint, health check and stop signal", async () => {
    const built = await config(IMAGES.runner);
    expect(built.User).toBe("runner");
    expect(built.Entrypoint).toEqual(["/opt/runner-supervisor/runner-supervisor"]);
    expect(built.Cmd).toEqual(["--", "/entrypoint.sh"]);
    expect(built.StopSignal).toBe("SIGTERM");
    expect(Object.keys(built.ExposedPorts)).toEqual(["9091/tcp"]);
    expect(built.Healthcheck.Test[0]).toBe("CMD");
    expect(built.Healthcheck.Test.join(" ")).toContain("/health");
    expect(built.Env).toEqual(expect.arrayContaining(["RUNNER_HOME=/actions-runner", "RUNNER_TYPE=standard", "METRICS_PORT=9091"]));
  });

  it("adds only /opt/runner-supervisor to the runner's image: no Node of its own, the build stage left behind", async () => {
    const listing = await docker(engine, [
      "run",
      "--rm",
      "--label",
      `rs-image-test.owner=${owner}`,
      "--entrypoint",
      "bash",
      IMAGES.runner,
      "-c",
      "ls /opt/runner-supervisor; command -v node npm || echo no-node-on-path; ls /src 2>&1 | head -1",
    ]);
    expect(listing.stdout).toContain("runner-supervisor.cjs\n");
    expect(listing.stdout).toContain("runner-supervisor\n");
    expect(listing.stdout).toContain("no-node-on-path");
    expect(listing.stdout).toMatch(/No such file or directory/);
    const added = (await imageSize(engine, IMAGES.runner)) - (await imageSize(engine, IMAGES.standIn));
    process.stderr.write(`image tests: the fragment adds ${(added / 1024 / 1024).toFixed(2)} MiB to the runner image\n`);
    expect(added).toBeGreaterThan(100 * 1024);
    expect(added).toBeLessThan(5 * 1024 * 1024);
  });
});

describe("built with the legacy builder", () => {
  it("builds the same Dockerfile into an image with the same configuration that runs", async () => {
    const legacy = "github-runner:legacy-builder";
    const build = await docker(engine, ["build", "-t", legacy, "."], {
      cwd: suite.userRepository,
      env: { DOCKER_BUILDKIT: "0" },
      timeoutMs: 300_000,
    });
    process.stderr.write(`image tests: the legacy builder built the runner image in ${(build.ms / 1000).toFixed(1)} s\n`);
    expect(`${build.stdout}${build.stderr}`).toMatch(/Successfully tagged github-runner:legacy-builder/);
    expect(await config(legacy)).toEqual(await config(IMAGES.runner));
    const version = await docker(engine, ["run", "--rm", "--label", `rs-image-test.owner=${owner}`, legacy, "--version"]);
    expect(version.stdout.trim()).toBe((JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { version: string }).version);
  });
});
