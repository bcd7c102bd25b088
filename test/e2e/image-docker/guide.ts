import { readFileSync } from "node:fs";
import { join } from "node:path";
import { run, type RunResult } from "./exec.mjs";
import { ROOT } from "./images.mjs";

/** The guide whose commands the image tests run as written: docs/DOCKER_IMAGE.md. */
export const GUIDE = join(ROOT, "docs", "DOCKER_IMAGE.md");

const BLOCK = /<!-- (test|example): ?([^>]*?) ?-->\s*\n```(\w*)\n([\s\S]*?)\n```/g;
const SHELL_BLOCK = /^```(?:sh|shell|bash|console)\n/gm;

export interface GuideBlocks {
  /** Blocks a test runs, by the name in their `<!-- test: NAME -->` marker. */
  tested: Map<string, string>;
  /** Blocks marked `<!-- example: why -->`: commands for a machine the tests cannot be (a registry). */
  examples: { why: string; text: string }[];
  /** Shell blocks with neither marker. */
  unmarked: number;
}

/** The guide's shell blocks, by marker. */
export function guideBlocks(text = readFileSync(GUIDE, "utf8")): GuideBlocks {
  const tested = new Map<string, string>();
  const examples: { why: string; text: string }[] = [];
  let marked = 0;
  for (const [, kind, label, language, body] of text.matchAll(BLOCK)) {
    if (!["sh", "shell", "bash", "console"].includes(language!)) continue;
    marked++;
    if (kind === "test") tested.set(label!, body!);
    else examples.push({ why: label!, text: body! });
  }
  return { tested, examples, unmarked: [...text.matchAll(SHELL_BLOCK)].length - marked };
}

/** The block after `<!-- test: name -->`. */
export function guideBlock(name: string): string {
  const block = guideBlocks().tested.get(name);
  if (block === undefined) throw new Error(`docs/DOCKER_IMAGE.md has no block marked <!-- test: ${name} -->`);
  return block;
}

export interface GuideRun {
  cwd: string;
  env: NodeJS.ProcessEnv;
  /** Exact text replaced before running, e.g. a host port another process may hold. */
  replace?: Record<string, string>;
  timeoutMs?: number;
  allowFailure?: boolean;
}

/** Runs a block of the guide as a user pastes it into bash (stopping at the first failing line). */
export async function runGuideBlock(name: string, options: GuideRun): Promise<RunResult> {
  let script = guideBlock(name);
  for (const [from, to] of Object.entries(options.replace ?? {})) {
    if (!script.includes(from)) throw new Error(`block ${name} does not contain ${from}`);
    script = script.replaceAll(from, to);
  }
  return run(["bash", "-e", "-o", "pipefail", "-c", script], {
    cwd: options.cwd,
    env: options.env,
    timeoutMs: options.timeoutMs ?? 120_000,
    allowFailure: options.allowFailure ?? false,
  });
}
