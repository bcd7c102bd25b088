export declare const DOCKER: string;
export declare const COMPOSE: string;

export interface RunOptions {
  timeoutMs?: number;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  input?: string;
  /** Resolve instead of rejecting when the command exits non-zero. */
  allowFailure?: boolean;
  onOutput?: (chunk: Buffer) => void;
}

export interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  ms: number;
}

export declare function run(argv: readonly string[], options?: RunOptions): Promise<RunResult>;
