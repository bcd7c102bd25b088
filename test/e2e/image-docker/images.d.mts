import type { Engine } from "./engine.mjs";

export declare const ROOT: string;
export declare const CACHE_DIR: string;
export declare const IMAGES: {
  base: string;
  node: string;
  standIn: string;
  tini: string;
  runner: string;
  prometheus: string;
};
export declare const VERSIONS: { node20: string; node24: string; npm: string };
export declare const RUNNER_STAGE: string;

export declare function fragmentParts(text: string): { part1: string; part2: string };
export declare function runnerDockerfile(fragment?: string): string;
export declare function dockerignoreFromDocs(docs?: string): string;
export declare function runnerContext(dir: string): Promise<string>;
export declare function debianMirror(): string;
export declare function dockerBuild(
  engine: Engine,
  options: { context: string; tag: string; file?: string; buildkit?: boolean; timeoutMs?: number },
): Promise<{ ms: number; log: string }>;
export declare function buildImages(
  engine: Engine,
  options?: { log?: (line: string) => void; buildRunner?: () => Promise<{ log: string }> },
): Promise<Record<string, number>>;
export declare function slowestSteps(output: string): string;
export declare function imageSize(engine: Engine, image: string): Promise<number>;
