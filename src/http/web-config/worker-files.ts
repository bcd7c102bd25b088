// The scripts of the web config's threads, beside this module (the bundle points these at
// password-worker.cjs and parse-worker.cjs beside web-config.cjs instead: bin/build-bundle.mjs).

/** The thread that checks bcrypt passwords. */
export const PASSWORD_WORKER: string | URL = new URL("./password-worker.js", import.meta.url);
/** The thread that reads a web configuration file's YAML. */
export const PARSE_WORKER: string | URL = new URL("./parse-worker.js", import.meta.url);
