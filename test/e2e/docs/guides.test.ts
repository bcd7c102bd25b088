// The README is a front door and each fact lives in one guide: this holds the README's commands and
// examples to what is run, the options and metrics tables to the code, the rooms list to src/, the
// list of what npm test installs to its script, and every relative link between the docs to a file
// and heading that exist.
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { createCollectors } from "../../../src/collectors/index.js";
import { resolveConfig } from "../../../src/config/config.js";
import { createRegistries } from "../../../src/metrics/registries.js";
import { systemClock } from "../../../src/common/clock.js";
import { guideBlocks } from "../image-docker/guide.js";
import { ROOT } from "../../helpers/index.js";
import { optionRows } from "./options-table.js";

const read = (path: string) => readFileSync(join(ROOT, path), "utf8");
const readme = read("README.md");

/** The body of the fenced block that follows a `<!-- marker ... -->` comment. */
function blockAfter(text: string, marker: string): string {
  const m = new RegExp(`<!-- ${marker}[^>]*-->\\s*\\n\`\`\`\\w*\\n([\\s\\S]*?)\\n\`\`\``).exec(text);
  expect(m, `no block after <!-- ${marker} -->`).not.toBeNull();
  return m![1]!;
}

/** Lines of a shell or Dockerfile block without comments, continuations joined. */
function commandLines(block: string): string[] {
  return block
    .replace(/\\\n\s*/g, "")
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => l !== "" && !l.startsWith("#"));
}

describe("README", () => {
  it("is a front door: at most about 150 lines", () => {
    expect(readme.split("\n").length).toBeLessThanOrEqual(150);
  });

  it("gives the two commands, and .ci/run runs the same test command", () => {
    expect(readme).toContain("npm ci && npm start");
    expect(readme).toContain("npm ci && npm test");
    const ci = read(".ci/run");
    expect(ci).toMatch(/^npm ci$/m);
    expect(ci).toMatch(/^npm test\b/m);
  });

  it("shows lines of Dockerfile.fragment, each as the fragment has it", () => {
    const fragment = new Set(commandLines(read("Dockerfile.fragment")));
    const shown = commandLines(blockAfter(readme, "fragment:"));
    expect(shown.length).toBeGreaterThan(8);
    expect(shown.filter((l) => !fragment.has(l))).toEqual([]);
  });

  it("shows commands of the image guide's block that the image tests run", () => {
    const run = guideBlocks().tested.get("run");
    expect(run, "docs/DOCKER_IMAGE.md has no block marked <!-- test: run -->").toBeDefined();
    const tested = new Set(commandLines(run!));
    const shown = commandLines(blockAfter(readme, "run:"));
    expect(shown.length).toBeGreaterThan(0);
    expect(shown.filter((l) => !tested.has(l))).toEqual([]);
  });
});

describe("docs/CONFIGURATION.md", () => {
  it("lists every option, with its variable, flag and default, exactly as the program has them", () => {
    const guide = read("docs/CONFIGURATION.md");
    for (const row of optionRows()) expect(guide, `docs/CONFIGURATION.md is missing the row:\n${row}`).toContain(row);
  });
});

describe("docs/METRICS.md", () => {
  it("documents every metric the supervisor can expose, with every option that adds metrics turned on", () => {
    const guide = read("docs/METRICS.md");
    const config = resolveConfig(
      {},
      {
        RUNNER_HOME: "/",
        DEPLOY_PATTERN: "deploy",
        JOB_LABELS: "repository,workflow",
        OTEL_EXPORTER_OTLP_ENDPOINT: "http://127.0.0.1:4318",
      },
      [],
    );
    const collectors = createCollectors({ ...config, supervisorVersion: "0" }, createRegistries({}).both, systemClock);
    const names = collectors.flatMap((c) => c.names);
    expect(names.length).toBeGreaterThanOrEqual(24);
    for (const name of names) expect(guide, `docs/METRICS.md has no row for ${name}`).toMatch(new RegExp(`^\\| \`${name}\` \\|`, "m"));
  });
});

describe("docs/DEVELOPMENT.md", () => {
  const guide = read("docs/DEVELOPMENT.md");

  it("lists exactly the Debian packages npm test installs (test/setup/ensure-tools.sh)", () => {
    const script = read("test/setup/ensure-tools.sh");
    const installed = new Set([...script.matchAll(/need\+=\(([\w.-]+)\)/g)].map((m) => m[1]!));
    const listed = /`npm test` installs what the tests run \(Debian's ([^;]+);/.exec(guide);
    expect(listed, "docs/DEVELOPMENT.md: `npm test` installs what the tests run (Debian's ...; ...)").not.toBeNull();
    const named = new Set([...listed![1]!.matchAll(/`([\w.-]+)`/g)].map((m) => m[1]!));
    expect(installed.size).toBeGreaterThanOrEqual(6);
    expect([...named].sort()).toEqual([...installed].sort());
  });

  it("names every folder of src/ in its rooms, and no folder that is not there", () => {
    const section = guide.slice(guide.indexOf("## Rooms"), guide.indexOf("\n## ", guide.indexOf("## Rooms") + 1));
    const listed = [...section.matchAll(/^(src\/[\w-]+\/)\s/gm)].map((m) => m[1]!).sort();
    const folders = readdirSync(join(ROOT, "src"), { withFileTypes: true })
      .filter((e) => e.isDirectory())
      .map((e) => `src/${e.name}/`)
      .sort();
    expect(listed).toEqual(folders);
  });
});

/** GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens. */
function slug(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s_-]/gu, "")
    .replace(/\s/g, "-");
}

function anchorsOf(markdown: string): Set<string> {
  const seen = new Map<string, number>();
  const anchors = new Set<string>();
  const text = markdown.replace(/^```[\s\S]*?^```/gm, "");
  for (const [, heading] of text.matchAll(/^#{1,6} (.+)$/gm)) {
    const base = slug(heading!);
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    anchors.add(n === 0 ? base : `${base}-${n}`);
  }
  return anchors;
}

describe("links between the docs", () => {
  const pages = [
    "README.md",
    "CHANGELOG.md",
    ...readdirSync(join(ROOT, "docs"))
      .filter((f) => f.endsWith(".md"))
      .map((f) => `docs/${f}`),
  ];

  it("each lead to a file that exists and, with an anchor, to one of its headings", () => {
    const broken: string[] = [];
    for (const page of pages) {
      const text = read(page).replace(/^```[\s\S]*?^```/gm, "");
      for (const [, target] of text.matchAll(/\]\(([^)\s]+)\)/g)) {
        if (/^[a-z]+:/i.test(target!)) continue;
        const [path, anchor] = target!.split("#") as [string, string | undefined];
        const file = path === "" ? join(ROOT, page) : resolve(dirname(join(ROOT, page)), path);
        if (!existsSync(file)) {
          broken.push(`${page}: ${target} (no ${relative(ROOT, file)})`);
          continue;
        }
        if (anchor !== undefined && file.endsWith(".md") && !anchorsOf(readFileSync(file, "utf8")).has(anchor)) {
          broken.push(`${page}: ${target} (no such heading)`);
        }
      }
    }
    expect(broken).toEqual([]);
  });
});
