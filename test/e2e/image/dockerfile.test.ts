import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join, posix } from "node:path";
import { DockerfileParser, Healthcheck, type Instruction } from "dockerfile-ast";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { BUNDLE_FILE, DEFAULT_OUTDIR, LAUNCHER_FILE } from "../../../bin/build-bundle.mjs";
import { fragmentParts } from "../image-docker/images.mjs";
import { bcryptHash, makeCertificates } from "../../helpers/index.js";
import { buildBundle, isolatedCopy, killAll, NODE20, removeTemps, ROOT, runHealthcheck, runSupervisor, tempDir } from "./helpers.js";

// Static checks of Dockerfile.fragment (no Docker engine runs here), and its HEALTHCHECK run for
// real against a bundled supervisor.
const FRAGMENT = readFileSync(join(ROOT, "Dockerfile.fragment"), "utf8");
const dockerfile = DockerfileParser.parse(FRAGMENT);
const instructions = dockerfile.getInstructions();

function only(keyword: string): Instruction {
  const found = instructions.filter((i) => i.getKeyword() === keyword);
  expect(
    found.map((i) => i.toString()),
    keyword,
  ).toHaveLength(1);
  return found[0]!;
}

/** The JSON array of an exec-form instruction, or undefined in shell form. */
function execForm(text: string | null): string[] | undefined {
  const trimmed = (text ?? "").trim();
  if (!trimmed.startsWith("[")) return undefined;
  const parsed = JSON.parse(trimmed) as unknown;
  return Array.isArray(parsed) && parsed.every((s) => typeof s === "string") ? parsed : undefined;
}

const buildStage = dockerfile.getFROMs()[0]!;
const workdir = only("WORKDIR").getArgumentsContent()!.trim();
const bundleCopy = dockerfile.getCOPYs().find((c) => c.getFromFlag() !== null)!;
const [copySource, copyDest] = bundleCopy.getArguments().map((a) => a.getValue());
const launcher = posix.join(copyDest ?? "", LAUNCHER_FILE);

describe("Dockerfile.fragment", () => {
  it("has one FROM: a named build stage; the runner image gains no base and no Node of its own", () => {
    expect(dockerfile.getFROMs()).toHaveLength(1);
    expect(buildStage.getBuildStage()).toBe("runner-supervisor-build");
    const runtime = instructions.slice(instructions.indexOf(bundleCopy));
    for (const i of runtime) expect(i.toString()).not.toMatch(/apt-get|apk |nodejs|nvm|nodesource|FROM /i);
  });

  it("builds the bundle with bin/build-bundle.mjs from the repository's lockfile", () => {
    const runs = instructions.filter((i) => i.getKeyword() === "RUN").map((i) => i.getArgumentsContent());
    expect(runs).toContain("node bin/build-bundle.mjs");
    expect(runs.some((r) => r?.startsWith("npm ci"))).toBe(true);
    expect(existsSync(join(ROOT, "bin", "build-bundle.mjs"))).toBe(true);
    const sources = dockerfile
      .getCOPYs()
      .filter((c) => c.getFromFlag() === null)
      .flatMap((c) =>
        c
          .getArguments()
          .slice(0, -1)
          .map((a) => a.getValue()),
      );
    for (const source of sources) {
      expect(source.startsWith("runner-supervisor/"), source).toBe(true);
      expect(existsSync(join(ROOT, source.slice("runner-supervisor/".length))), source).toBe(true);
    }
  });

  it("copies exactly the build output directory from the build stage", () => {
    expect(bundleCopy.getFromFlag()?.getValue()).toBe(buildStage.getBuildStage());
    expect(copySource).toBe(`${posix.join(workdir, DEFAULT_OUTDIR)}/`);
    expect(copyDest).toBe("/opt/runner-supervisor/");
  });

  it("starts the launcher of the build output as an exec-form ENTRYPOINT, the runner's entrypoint.sh as CMD after --", () => {
    expect(execForm(only("ENTRYPOINT").getArgumentsContent())).toEqual([launcher]);
    const cmd = execForm(only("CMD").getArgumentsContent());
    expect(cmd?.[0]).toBe("--");
    expect(cmd).toHaveLength(2);
    // The build fails early when the runner has no Node: the launcher is run once at build time.
    const runs = instructions.filter((i) => i.getKeyword() === "RUN").map((i) => i.getArgumentsContent());
    expect(runs).toContain(`${launcher} --version`);
    // The launcher execs the bundle beside it.
    expect(FRAGMENT).toContain(BUNDLE_FILE);
  });

  it("exposes 9091, the port the environment sets, and stops with SIGTERM", () => {
    expect(only("EXPOSE").getArgumentsContent()).toBe("9091");
    expect(only("ENV").getArgumentsContent()).toMatch(/\bMETRICS_PORT=9091\b/);
    expect(only("ENV").getArgumentsContent()).toMatch(/\bRUNNER_TYPE=standard\b/);
    expect(only("STOPSIGNAL").getArgumentsContent()).toBe("SIGTERM");
  });

  it("asks no registry for anything but its base image: no parser directive such as # syntax= (BuildKit would fetch that frontend)", () => {
    expect(FRAGMENT).not.toMatch(/^#\s*[a-z]+\s*=/im);
    expect(dockerfile.getDirectives()).toEqual([]);
    expect(dockerfile.getFROMs().map((f) => f.getImageName())).toEqual(["node"]);
  });

  it("splits at its Part 2 heading into the two parts the image tests paste around a runner's stage", () => {
    const { part1, part2 } = fragmentParts(FRAGMENT);
    expect(part1 + part2).toBe(FRAGMENT);
    expect(part1).toMatch(/^FROM node:20-bookworm-slim AS runner-supervisor-build$/m);
    expect(part2).not.toMatch(/^FROM /m);
    expect(part2).toMatch(/^ENTRYPOINT /m);
  });

  it("says where each part goes in each of the three Dockerfiles", () => {
    for (const name of ["Dockerfile,", "Dockerfile.chrome,", "Dockerfile.chrome-go)", "RUNNER_TYPE=chrome,", "RUNNER_TYPE=chrome-go"]) {
      expect(FRAGMENT).toContain(name);
    }
    expect(FRAGMENT).toMatch(/Part 1: .*ABOVE the existing FROM/);
    expect(FRAGMENT).toMatch(/Part 2: .*/);
  });
});

describe("the fragment's HEALTHCHECK, run against the bundled supervisor", () => {
  const healthcheck = only("HEALTHCHECK");
  if (!(healthcheck instanceof Healthcheck)) throw new Error("the fragment's HEALTHCHECK is not parsed as one");
  const argv = execForm(/^CMD\s+(\[.*\])\s*$/s.exec(healthcheck.getArgumentsContent() ?? "")?.[1] ?? null);
  let dir: string;

  beforeAll(() => {
    dir = isolatedCopy(buildBundle());
  });
  afterEach(killAll);
  afterAll(removeTemps);

  it("is exec form with a timeout and an interval, and needs no curl or wget", () => {
    expect(argv?.[0]).toBe("bash");
    expect(argv?.join(" ")).toContain("/health");
    expect(argv?.join(" ")).not.toMatch(/curl|wget/);
    const flags = Object.fromEntries(healthcheck.getFlags().map((f) => [f.getName(), f.getValue()]));
    expect([typeof flags.interval, typeof flags.timeout]).toEqual(["string", "string"]);
  });

  it("passes unchanged when the endpoint has a web configuration file (TLS and basic auth): plain /health from the loopback stays open", async () => {
    const certs = makeCertificates(tempDir("healthcheck-web"));
    const file = join(certs.dir, "web.yml");
    writeFileSync(
      file,
      `tls_server_config:\n  cert_file: server.pem\n  key_file: server.key\nbasic_auth_users:\n  prometheus: ${bcryptHash("pw", 4)}\n`,
    );
    const s = runSupervisor({
      command: [NODE20, join(dir, BUNDLE_FILE)],
      cwd: dir,
      env: { FAKE_IDLE_SECONDS: "20", WEB_CONFIG_FILE: file },
    });
    const port = await s.port;
    expect(s.stderr()).toContain("serving metrics on https://");
    expect(runHealthcheck(argv!, port)).toBe(0);
    s.proc.kill("SIGTERM");
    // The probe run.sh's code after SIGTERM, the real run.sh's 143, passed through.
    expect((await s.exit).code).toBe(143);
  });

  it("passes while the runner runs and fails once the supervisor is gone", async () => {
    const s = runSupervisor({ command: [NODE20, join(dir, BUNDLE_FILE)], cwd: dir, env: { FAKE_IDLE_SECONDS: "20" } });
    const port = await s.port;
    expect(runHealthcheck(argv!, port)).toBe(0);
    s.proc.kill("SIGTERM");
    expect((await s.exit).code).toBe(143);
    expect(runHealthcheck(argv!, port)).not.toBe(0);
  });
});
