#!/usr/bin/env node
// Builds the self-contained runner-supervisor that goes into the runner images:
//
//   dist/bundle/runner-supervisor.cjs   the first file Node runs: the signal listeners, then it loads one of
//   dist/bundle/supervisor.cjs            the program (our code and every dependency it needs), or
//   dist/bundle/in-job.cjs                the hook and report commands that run inside jobs
//   dist/bundle/web-config.cjs          loaded by the program only with a web configuration file (TLS, YAML, basic auth)
//   dist/bundle/password-worker.cjs     the thread that checks bcrypt passwords for it
//   dist/bundle/parse-worker.cjs        the thread that reads its YAML
//   dist/bundle/traces.cjs              loaded by the program only with an OTLP endpoint (the OpenTelemetry SDK and exporter)
//   dist/bundle/runner-supervisor       POSIX sh launcher: runs the first file on the runner's own Node
//   dist/bundle/koffi.node              only when the code imports koffi: its native part
//   dist/bundle/THIRD_PARTY_LICENSES.txt  the licences of what was bundled
//
// CommonJS, not ES modules: an ES-module import of node:http makes Node 24 load undici, http2
// and more through http's lazy getters (13 MiB); require() does not. The first file is kept tiny
// so that Node runs its signal listeners a few milliseconds after it starts: a signal that comes
// before them is lost. The directory runs with no node_modules. Usage:
//   node bin/build-bundle.mjs [--entry src/entry.ts] [--outdir dist/bundle]
import { chmodSync, copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { build } from "esbuild";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");
/** Names shared with Dockerfile.fragment and the image tests: change them together. */
export const BUNDLE_FILE = "runner-supervisor.cjs";
export const PROGRAM_FILE = "supervisor.cjs";
export const IN_JOB_FILE = "in-job.cjs";
export const WEB_CONFIG_FILE = "web-config.cjs";
export const PASSWORD_WORKER_FILE = "password-worker.cjs";
export const PARSE_WORKER_FILE = "parse-worker.cjs";
export const TRACES_FILE = "traces.cjs";
export const LAUNCHER_FILE = "runner-supervisor";
export const KOFFI_NATIVE_FILE = "koffi.node";
export const LICENSES_FILE = "THIRD_PARTY_LICENSES.txt";
/** Where the build writes by default, relative to the repository root (Dockerfile.fragment copies it). */
export const DEFAULT_OUTDIR = "dist/bundle";
/** The oldest Node the supervisor supports; older nodeNN directories under externals/ are skipped. */
const MIN_NODE_MAJOR = 20;

/** What is loaded later, by the source module a dynamic import() names: each becomes a file of its own. */
const PARTS = [
  { source: join(ROOT, "src", "main.ts"), file: PROGRAM_FILE },
  { source: join(ROOT, "src", "in-job", "commands.ts"), file: IN_JOB_FILE },
  { source: join(ROOT, "src", "http", "web-config", "index.ts"), file: WEB_CONFIG_FILE },
  { source: join(ROOT, "src", "traces", "index.ts"), file: TRACES_FILE },
];
/**
 * Scripts started as worker threads, by the name the locator module exports for each: the
 * locator says where the scripts are (beside itself, in dist/); in the bundle it says the built
 * files beside the bundle instead.
 */
const WORKER_LOCATOR = join(ROOT, "src", "http", "web-config", "worker-files.ts");
const WORKERS = [
  { name: "PASSWORD_WORKER", source: join(ROOT, "src", "http", "web-config", "password-worker.ts"), file: PASSWORD_WORKER_FILE },
  { name: "PARSE_WORKER", source: join(ROOT, "src", "http", "web-config", "parse-worker.ts"), file: PARSE_WORKER_FILE },
];
// Every file a build may write, removed first: a build that no longer needs one leaves none behind.
const ALL_FILES = [
  BUNDLE_FILE,
  PROGRAM_FILE,
  IN_JOB_FILE,
  WEB_CONFIG_FILE,
  TRACES_FILE,
  PASSWORD_WORKER_FILE,
  PARSE_WORKER_FILE,
  LAUNCHER_FILE,
  KOFFI_NATIVE_FILE,
  LICENSES_FILE,
];

/** Builds the bundle directory; returns what it wrote. */
export async function buildBundle({ entry = join(ROOT, "src", "entry.ts"), outdir = join(ROOT, DEFAULT_OUTDIR) } = {}) {
  const pkg = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8"));
  // Only ever remove the bundle's own directory, never a parent someone passed by mistake.
  if (existsSync(outdir) && readdirSync(outdir).some((f) => !ALL_FILES.includes(f))) {
    throw new Error(`${outdir} holds files this build did not write; refusing to clear it`);
  }
  rmSync(outdir, { recursive: true, force: true });
  mkdirSync(outdir, { recursive: true });

  const koffi = koffiShim();
  const parts = partsPlugin();
  const workers = workersPlugin();
  const options = {
    bundle: true,
    platform: "node",
    format: "cjs",
    // The runner tarball's node20 is the oldest Node these files must run on.
    target: `node${MIN_NODE_MAJOR}`,
    define: { __SUPERVISOR_VERSION__: JSON.stringify(pkg.version) },
    minifyWhitespace: true,
    minifySyntax: true,
    // Function and class names stay readable in the stack traces users paste into issues.
    keepNames: true,
    legalComments: "none",
    metafile: true,
    logLevel: "warning",
  };
  const plugins = [koffi.plugin, parts.plugin, workers.plugin];
  const first = await build({
    ...options,
    entryPoints: [entry],
    outfile: join(outdir, BUNDLE_FILE),
    banner: { js: "#!/usr/bin/env node" },
    plugins,
  });
  const results = [first];
  // A part may import further parts (the program loads the web configuration's): build until none is new.
  const built = [];
  for (let part; (part = PARTS.find((p) => parts.used().has(p.file) && !built.includes(p.file)));) {
    built.push(part.file);
    results.push(await build({ ...options, entryPoints: [part.source], outfile: join(outdir, part.file), plugins }));
  }
  for (const worker of WORKERS.filter((w) => workers.used().has(w.file))) {
    built.push(worker.file);
    results.push(await build({ ...options, entryPoints: [worker.source], outfile: join(outdir, worker.file), plugins: [koffi.plugin] }));
  }

  const written = [BUNDLE_FILE, ...built];
  if (koffi.used()) {
    copyFileSync(koffi.nativePath(), join(outdir, KOFFI_NATIVE_FILE));
    written.push(KOFFI_NATIVE_FILE);
  }
  writeFileSync(join(outdir, LAUNCHER_FILE), launcherScript(), { mode: 0o755 });
  chmodSync(join(outdir, LAUNCHER_FILE), 0o755);
  written.push(LAUNCHER_FILE);
  writeFileSync(
    join(outdir, LICENSES_FILE),
    licenses(
      results.map((r) => r.metafile),
      koffi.used(),
    ),
  );
  written.push(LICENSES_FILE);

  return { outdir, files: written.map((f) => ({ name: f, bytes: statSync(join(outdir, f)).size })), koffi: koffi.used() };
}

/** Maps a dynamic import of a part (the program, the in-job commands, the web configuration) to the file it is built into. */
function partsPlugin() {
  const used = new Set();
  const plugin = {
    name: "parts-beside-bundle",
    setup(b) {
      b.onResolve({ filter: /^\.\.?\/.*\.js$/ }, (args) => {
        const source = resolve(args.resolveDir, args.path).replace(/\.js$/, ".ts");
        const part = PARTS.find((p) => p.source === source);
        if (!part || args.kind !== "dynamic-import") return undefined;
        used.add(part.file);
        return { path: `./${part.file}`, external: true };
      });
    },
  };
  return { plugin, used: () => used };
}

/** Points each worker script's locator module at the script's built file beside the bundle. */
function workersPlugin() {
  const used = new Set();
  const plugin = {
    name: "workers-beside-bundle",
    setup(b) {
      b.onResolve({ filter: /^\.\.?\/.*\.js$/ }, (args) => {
        const source = resolve(args.resolveDir, args.path).replace(/\.js$/, ".ts");
        if (source !== WORKER_LOCATOR) return undefined;
        for (const w of WORKERS) used.add(w.file);
        return { path: "worker-files", namespace: "workers-beside-bundle" };
      });
      b.onLoad({ filter: /.*/, namespace: "workers-beside-bundle" }, () => ({
        loader: "js",
        contents: WORKERS.map((w) => `export const ${w.name} = require("node:path").join(__dirname, ${JSON.stringify(w.file)});`).join(
          "\n",
        ),
      }));
    },
  };
  return { plugin, used: () => used };
}

/**
 * koffi finds its native part through node_modules (`@koromix/koffi-<platform>-<arch>`), which
 * the image does not have. The bundle therefore gets a stand-in module that loads the same native
 * file from beside the bundle. If that file is missing or does not load, `import("koffi")`
 * rejects, and the caller decides what that means (the reaper only warns).
 */
function koffiShim() {
  let used = false;
  const requireFromKoffi = () => createRequire(join(koffiDir(), "package.json"));
  const nativePath = () => {
    const platformPackage = `@koromix/koffi-${process.platform}-${process.arch}`;
    const dir = dirname(requireFromKoffi().resolve(`${platformPackage}/package.json`));
    // Runner images are glibc-based (the runner itself needs glibc), so the glibc build is shipped.
    const file = join(dir, `${process.platform}_${process.arch}`, "koffi.node");
    if (!existsSync(file)) throw new Error(`koffi is imported, but ${file} does not exist; is ${platformPackage} installed?`);
    return file;
  };
  const plugin = {
    name: "koffi-beside-bundle",
    setup(b) {
      b.onResolve({ filter: /^koffi\// }, (args) => ({
        errors: [
          { text: `"${args.path}" cannot be bundled: import "koffi" itself, which the bundle maps to ${KOFFI_NATIVE_FILE} beside it` },
        ],
      }));
      b.onResolve({ filter: /^koffi$/ }, () => {
        used = true;
        return { path: "koffi", namespace: "koffi-beside-bundle" };
      });
      b.onLoad({ filter: /.*/, namespace: "koffi-beside-bundle" }, async () => ({
        loader: "js",
        contents: [
          // A computed path: the bundler leaves it to Node, which loads the file beside the bundle.
          `const native = require(require("node:path").join(__dirname, ${JSON.stringify(KOFFI_NATIVE_FILE)}));`,
          "export default native;",
          ...namedExports(await koffiExportNames()),
        ].join("\n"),
      }));
    },
  };
  return { plugin, used: () => used, nativePath };
}

/** The installed koffi package's directory (its exports map hides package.json; its main sits at the top). */
function koffiDir() {
  return dirname(createRequire(join(ROOT, "package.json")).resolve("koffi"));
}

/** The named exports of the installed koffi, so `import { load } from "koffi"` keeps working. */
async function koffiExportNames() {
  const real = await import("koffi");
  return Object.keys(real).filter((name) => name !== "default" && /^[A-Za-z_$][\w$]*$/.test(name));
}

/** `export { x as in }`: koffi exports names such as `in` that cannot be variable names. */
function namedExports(names) {
  const locals = names.map((name, i) => `const __koffi${i} = native[${JSON.stringify(name)}];`);
  return [...locals, `export { ${names.map((name, i) => `__koffi${i} as ${name}`).join(", ")} };`];
}

/** The sh launcher: picks the newest nodeNN (>= 20) under the runner's externals/ and execs the bundle on it. */
function launcherScript() {
  return `#!/bin/sh
# Starts runner-supervisor on the Node.js that the runner tarball ships in \${RUNNER_HOME:-/actions-runner}/externals/
# (the newest nodeNN directory, at least node${MIN_NODE_MAJOR}), so the image needs no Node of its own.
# RUNNER_SUPERVISOR_NODE=/path/to/node picks another one. exec keeps the process id: node becomes PID 1.
# A job step or hook that runs it (report, hook) never fails: without a Node it says so and exits 0.
here=\${0%/*}
node=\${RUNNER_SUPERVISOR_NODE:-}
# A Node given by path can vanish (a self-update deletes old externals.VERSION): then search again.
[ -n "$node" ] && [ ! -x "$node" ] && node=
if [ -z "$node" ]; then
  home=\${RUNNER_HOME:-/actions-runner}
  best=0
  for candidate in "$home"/externals/node*/bin/node; do
    [ -x "$candidate" ] || continue
    major=\${candidate%/bin/node}
    major=\${major##*/node}
    case $major in '' | *[!0-9]*) continue ;; esac
    if [ "$major" -gt "$best" ]; then best=$major; node=$candidate; fi
  done
  if [ "$best" -lt ${MIN_NODE_MAJOR} ]; then
    echo "runner-supervisor: no Node.js ${MIN_NODE_MAJOR} or newer in $home/externals/ (looked for node${MIN_NODE_MAJOR}, node24, ... with bin/node);" \\
      "is the runner installed in RUNNER_HOME=$home? Set RUNNER_SUPERVISOR_NODE to use another node binary." >&2
    case \${1:-} in report | hook) exit 0 ;; esac
    exit 127
  fi
fi
# A 1 MiB young generation keeps the resident memory low; the supervisor allocates little.
exec "$node" --max-semi-space-size=1 "$here/${BUNDLE_FILE}" "$@"
`;
}

/** One section per bundled package: name, version, licence and its licence text. */
function licenses(metafiles, koffiUsed) {
  const dirs = new Set();
  for (const input of metafiles.flatMap((m) => Object.keys(m.inputs))) {
    const m = /^(.*node_modules\/(?:@[^/]+\/)?[^/]+)\//.exec(input);
    if (m) dirs.add(resolve(ROOT, m[1]));
  }
  if (koffiUsed) dirs.add(koffiDir());
  const sections = [...dirs].sort().map((dir) => {
    const pkg = JSON.parse(readFileSync(join(dir, "package.json"), "utf8"));
    const file = readdirSync(dir).find((f) => /^(licen[cs]e|copying)(\.|$)/i.test(f));
    const text = file
      ? readFileSync(join(dir, file), "utf8").trim()
      : `(no licence file in the package; package.json says: ${pkg.license ?? "nothing"})`;
    return `${pkg.name}@${pkg.version} (${pkg.license ?? "unknown"})\n${"-".repeat(72)}\n${text}\n`;
  });
  return `runner-supervisor bundles the following packages.\n\n${sections.join("\n\n")}`;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const { values } = parseArgs({ options: { entry: { type: "string" }, outdir: { type: "string" } } });
  const options = {};
  if (values.entry) options.entry = resolve(values.entry);
  if (values.outdir) options.outdir = resolve(values.outdir);
  const built = await buildBundle(options);
  for (const f of built.files) console.log(`${relative(process.cwd(), join(built.outdir, f.name))}  ${(f.bytes / 1024).toFixed(1)} KiB`);
}
