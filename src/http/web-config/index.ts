// The endpoint's protection from a web configuration file (the Prometheus exporter toolkit's
// format, as node_exporter reads it). Loaded only when WEB_CONFIG_FILE is set: TLS, YAML, bcrypt
// and worker threads are nothing a runner without one carries.
import { monotonicMs } from "../../common/clock.js";
import { describeError, logAtMost, type Log } from "../../common/log.js";
import type { EndpointGuard } from "../guard.js";
import { stat } from "node:fs/promises";
import { BasicAuth, CredentialCache, PASSWORD_CHECKS } from "./basic-auth.js";
import { loadWebConfig, PARSE_TIME_LIMIT_MS, type LoadedWebConfig } from "./load.js";
import { PasswordChecker } from "./password-checker.js";
import { admit, type Policy } from "./request-policy.js";
import { createTlsLayer } from "./tls.js";
import { NetworkBudget, TokenBucket } from "./budgets.js";
import { WebConfigError, type RateLimit } from "./config.js";
import { PASSWORD_WORKER } from "./worker-files.js";

export { WebConfigError };

/** How often the file and the files it names are looked at for a change (certificate rotation). */
const CHANGE_CHECK_MS = 5_000;
/** A reload not done by then is given up (its result, if it ever comes, is ignored) and the next change is read. */
const RELOAD_LIMIT_MS = PARSE_TIME_LIMIT_MS + 5_000;
/** Password checks that may wait beside the one in progress, and how long the idle checker thread lives. */
const CHECKER = { maxWaiting: 4, idleMs: 10_000 };

/**
 * Reads a web configuration file and returns what protects the endpoint with it; throws a
 * WebConfigError for a file that cannot be used. While it runs, a change to the file or to the
 * certificate, key or CA files it names is picked up within CHANGE_CHECK_MS for new connections
 * and requests; a changed file that cannot be used is reported once and the previous settings stay.
 */
export async function openWebConfig(file: string, log: Log): Promise<EndpointGuard> {
  let loaded = await loadWebConfig(file);
  for (const warning of loaded.warnings) log(`warning: ${warning}`);
  const now = monotonicMs;
  const cache = new CredentialCache();
  const checks = new NetworkBudget(PASSWORD_CHECKS, now);
  const reportFailure = logAtMost(3, log);
  const checker = new PasswordChecker(PASSWORD_WORKER, {
    ...CHECKER,
    onFailure: (error) =>
      reportFailure(
        `warning: the password checker failed (${describeError(error)}); requests that need a password check get 503 until it works`,
      ),
  });
  const tls = loaded.tls && loaded.config.tls ? createTlsLayer(loaded.tls, loaded.config.tls, now) : undefined;

  const policyOf = (next: LoadedWebConfig, previous: Policy | undefined, previousLimit: RateLimit | undefined): Policy => ({
    tls: next.tls !== undefined,
    headers: next.config.headers,
    // An unchanged limit keeps its bucket: a fresh one would hand out a new burst.
    rateLimit:
      sameLimit(next.config.rateLimit, previousLimit) && previous?.rateLimit ? previous.rateLimit : bucketOf(next.config.rateLimit, now),
    auth: next.config.users.size > 0 ? new BasicAuth(next.config.users, cache, checks, checker) : undefined,
  });
  let policy = policyOf(loaded, undefined, undefined);

  let lastFailure = "";
  const reload = async () => {
    try {
      // A reading that hangs is given up, so that later changes are still read.
      const next = await Promise.race([loadWebConfig(loaded.path), timeLimit(RELOAD_LIMIT_MS)]);
      if ((next.tls === undefined) !== (loaded.tls === undefined))
        throw new WebConfigError("tls_server_config", "turning TLS on or off takes a restart");
      if (next.tls && next.config.tls) tls?.use(next.tls, next.config.tls);
      policy = policyOf(next, policy, loaded.config.rateLimit);
      // A warning already given (TLS 1.0 allowed, say) is not repeated at every reload.
      const fresh = next.warnings.filter((warning) => !loaded.warnings.includes(warning));
      loaded = next;
      lastFailure = "";
      log(`web config reloaded from ${loaded.path}`);
      for (const warning of fresh) log(`warning: ${warning}`);
    } catch (error) {
      const message = describeError(error);
      if (message !== lastFailure) log(`web config ${loaded.path} changed but cannot be used, the previous settings stay: ${message}`);
      lastFailure = message;
    }
  };
  const stopWatching = watchFiles(() => loaded.files, reload, CHANGE_CHECK_MS);

  return {
    scheme: tls ? "https" : "http",
    summary: summary(loaded),
    ...(tls ? { tls } : {}),
    admit: (req, res, connection) => admit(policy, req, res, connection),
    close: () => {
      stopWatching();
      checker.close();
    },
  };
}

function timeLimit(ms: number): Promise<never> {
  return new Promise((_, reject) => setTimeout(() => reject(new WebConfigError("", `not read within ${ms / 1000} s`)), ms).unref());
}

function bucketOf(limit: RateLimit | undefined, now: () => number): TokenBucket | undefined {
  return limit ? new TokenBucket(1000 / limit.intervalMs, limit.burst, now) : undefined;
}

function sameLimit(a: RateLimit | undefined, b: RateLimit | undefined): boolean {
  return a?.intervalMs === b?.intervalMs && a?.burst === b?.burst;
}

/** What the start-up line says the file turns on. */
function summary(loaded: LoadedWebConfig): string {
  const { tls, users, rateLimit } = loaded.config;
  const parts = [tls ? `TLS${tls.clientAuthType === "NoClientCert" ? "" : ` with client certificates (${tls.clientAuthType})`}` : "no TLS"];
  if (users.size > 0) parts.push(`basic auth for ${users.size} user${users.size === 1 ? "" : "s"}`);
  if (rateLimit) parts.push(`rate limit of a request per ${rateLimit.intervalMs} ms in bursts of ${rateLimit.burst}`);
  return `web config ${loaded.path}: ${parts.join(", ")}`;
}

/**
 * Calls `changed` when any of the files (the list may change between calls) is replaced or
 * modified, looking every `intervalMs`: a few stat calls, never a read while nothing changed.
 * Returns the function that stops it.
 */
export function watchFiles(files: () => readonly string[], changed: () => Promise<void>, intervalMs: number): () => void {
  let last: string | undefined;
  let busy = false;
  const look = async () => {
    if (busy) return;
    busy = true;
    try {
      const now = await fingerprint(files());
      if (last !== undefined && now !== last) await changed();
      last = now;
    } finally {
      busy = false;
    }
  };
  void look();
  const timer = setInterval(() => void look(), intervalMs).unref();
  return () => clearInterval(timer);
}

/** Identity, size and modification time of each file (or why it cannot be seen), in one string. */
async function fingerprint(files: readonly string[]): Promise<string> {
  const parts = await Promise.all(
    files.map((file) =>
      stat(file).then(
        (s) => `${file}:${s.dev}:${s.ino}:${s.size}:${s.mtimeMs}`,
        (error: unknown) => `${file}:${(error as NodeJS.ErrnoException).code ?? "error"}`,
      ),
    ),
  );
  return parts.join("\n");
}
