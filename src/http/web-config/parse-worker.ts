// The thread that reads a web configuration file's YAML: a file of up to 1 MiB takes the yaml
// library seconds, and the main thread carries the runner's output. One thread per reading.
import { parentPort, workerData } from "node:worker_threads";
import { WebConfigError } from "./config.js";
import { parseWebConfig } from "./parse.js";

/** What the thread is given. */
export interface ParseRequest {
  readonly text: string;
  readonly dir: string;
}

/** What it answers: the configuration, or the error that names the key at fault. */
export type ParseResult =
  { readonly config: ReturnType<typeof parseWebConfig> } | { readonly error: { key: string; problem: string; line: number | undefined } };

const { text, dir } = workerData as ParseRequest;
let result: ParseResult;
try {
  result = { config: parseWebConfig(text, dir) };
} catch (error) {
  result = {
    error:
      error instanceof WebConfigError
        ? { key: error.key, problem: error.problem, line: error.line }
        : { key: "", problem: "cannot be read (the YAML reader failed)", line: undefined },
  };
}
parentPort?.postMessage(result);
