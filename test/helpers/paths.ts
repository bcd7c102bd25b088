// Where things are: the repository, the built launcher, the fixtures, the built password thread.
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
export const BIN = join(ROOT, "bin", "runner-supervisor.js");
export const FIXTURES = join(ROOT, "test", "fixtures");
/** The built bcrypt worker thread's script (npm test builds before it runs the suites). */
export const PASSWORD_WORKER = join(ROOT, "dist", "http", "web-config", "password-worker.js");
/** The built parse thread (the web config's YAML), for tests that read a file through it. */
export const PARSE_WORKER = join(ROOT, "dist", "http", "web-config", "parse-worker.js");
