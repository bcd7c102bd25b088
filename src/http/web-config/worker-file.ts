/** The password worker's script, beside this module (the bundle points this at password-worker.cjs beside web-config.cjs instead: bin/build-bundle.mjs). */
export const WORKER_FILE: string | URL = new URL("./bcrypt-worker.js", import.meta.url);
