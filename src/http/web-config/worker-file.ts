/** The password worker's script, beside this module (the single-file build points this at its own file instead). */
export const WORKER_FILE: string | URL = new URL("./bcrypt-worker.js", import.meta.url);
