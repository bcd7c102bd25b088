import type { Engine } from "./engine.mjs";

export interface Memory {
  /** What docker stats shows: the cgroup's usage less its inactive file pages, bytes. */
  dockerStats: number;
  /** The cgroup's anonymous memory, bytes. */
  anonymous: number;
  /** File pages its processes map (chiefly the Node binary), bytes. */
  mappedFile: number;
}
export interface Sample {
  sleep: Memory;
  tini: Memory;
  supervisor: Memory;
}
export interface Row {
  figure: string;
  measured: string;
  baseline: string;
}
export interface Overhead {
  idle: Sample;
  after: Sample;
  imageAdded: number;
  burst: typeof BURST;
  rows: Row[];
}

export declare const BURST: { jobs: number; plainJobs: number; scrapes: number; scrapeConcurrency: number };
export declare function measureOverhead(
  engine: Engine,
  options?: { log?: (line: string) => void; burst?: typeof BURST },
): Promise<Overhead>;
export declare function overhead(options?: { engineName?: string; log?: (line: string) => void }): Promise<Overhead>;
export declare function formatRows(rows: Row[]): string;
