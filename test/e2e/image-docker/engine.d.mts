export declare const NAME_PREFIX: string;

export interface Engine {
  name: string;
  host: string;
  socket: string;
  runDir: string;
  dataRoot: string;
  execRoot: string;
  /** A directory for build contexts and the like, removed with the engine. */
  workDir: string;
  pool: string;
  /** Environment for the docker CLI and docker-compose: DOCKER_HOST of this engine, pinned CLI on PATH. */
  env: NodeJS.ProcessEnv;
  stop(): Promise<void>;
}

type Log = (line: string) => void;

export declare function whyNoEngine(): string | undefined;
export declare function startEngine(options?: { log?: Log }): Promise<Engine>;
export declare function attachEngine(name: string, options?: { log?: Log }): Engine;
export declare function sweepStaleEngines(options?: { log?: Log }): Promise<string[]>;
export declare function cleanupEngine(name: string, options?: { log?: Log }): Promise<void>;
