// Runs a command with a deadline and collects its output: the one way the image tests and the
// overhead measurement start docker, docker-compose, mmdebstrap, ip and iptables.
import { spawn } from "node:child_process";

/** Debian's docker CLI (20.10), the same release as the daemon. The machine may put another CLI
 * first on PATH (a Docker 28 CLI without the buildx plugin, which then refuses BuildKit builds). */
export const DOCKER = "/usr/bin/docker";
/** docker-compose 1.29 (Debian's): Compose v2, the `docker compose` plugin, is not packaged. */
export const COMPOSE = "/usr/bin/docker-compose";

/**
 * Runs argv to completion (SIGKILL at timeoutMs). Resolves with its output; rejects when it exits
 * non-zero, unless allowFailure. The error carries the command, its exit and the end of its output.
 */
export function run(argv, { timeoutMs = 60_000, env, cwd, input, allowFailure = false, onOutput } = {}) {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const child = spawn(argv[0], argv.slice(1), {
      env: env ?? process.env,
      cwd,
      stdio: [input === undefined ? "ignore" : "pipe", "pipe", "pipe"],
    });
    const out = [];
    const err = [];
    child.stdout.on("data", (c) => {
      out.push(c);
      onOutput?.(c);
    });
    child.stderr.on("data", (c) => {
      err.push(c);
      onOutput?.(c);
    });
    const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
    child.once("error", (error) => {
      clearTimeout(timer);
      reject(new Error(`cannot run ${argv[0]}: ${error.message}`));
    });
    child.once("close", (code, signal) => {
      clearTimeout(timer);
      const result = {
        code,
        signal,
        stdout: Buffer.concat(out).toString("utf8"),
        stderr: Buffer.concat(err).toString("utf8"),
        ms: Date.now() - started,
      };
      if (code === 0 || allowFailure) return resolve(result);
      const why =
        signal === "SIGKILL" && Date.now() - started >= timeoutMs ? `timed out after ${timeoutMs} ms` : `exited ${code ?? signal}`;
      const tail = `${result.stdout}${result.stderr}`.trim().split("\n").slice(-40).join("\n");
      reject(new Error(`${argv.join(" ")} ${why}:\n${tail}`));
    });
    if (input !== undefined) {
      // A command that exits without reading its input must not crash the caller.
      child.stdin.once("error", () => undefined);
      child.stdin.end(input);
    }
  });
}
