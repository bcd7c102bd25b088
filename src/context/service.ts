import { readFileSync, realpathSync } from "node:fs";
import { join } from "node:path";
import type { Config } from "../config.js";
import type { Log } from "../log.js";
import type { Observer } from "../observer.js";
import { openChannel } from "./channel.js";
import { createHookDir, HOOK_ENV, sweepStaleHookDirs } from "./hook-scripts.js";
import type { HookKind } from "./messages.js";

/** The job-context side while the runner runs: the channel, and the variables that make the runner call it. */
export interface JobContextService {
  /** Variables to add to the runner's environment (its hooks, the channel's socket, the launcher). */
  readonly env: Readonly<Record<string, string>>;
  close(): Promise<void>;
}

/**
 * Installs the supervisor as the runner's job hooks: a private directory with the channel and the
 * hook scripts. Any failure leaves the runner exactly as it would run without the supervisor's
 * hooks (the user's own hooks untouched) and says why.
 */
export async function startJobContext(config: Config, observer: Observer, env: NodeJS.ProcessEnv, log: Log): Promise<JobContextService | undefined> {
  const userHooks: Partial<Record<HookKind, string>> = {};
  for (const hook of Object.keys(HOOK_ENV) as HookKind[]) {
    const value = env[HOOK_ENV[hook]];
    if (value) userHooks[hook] = value;
  }
  warnAboutDotEnv(config.runnerHome, log);
  sweepStaleHookDirs();
  let dir: ReturnType<typeof createHookDir> | undefined;
  try {
    dir = createHookDir({ node: process.execPath, entry: entryScript(), userHooks, runnerHome: config.runnerHome });
    const channel = await openChannel(dir.socketDir, (m) => observer.channelMessage(m), () => observer.channelRejected());
    const files = dir.write(channel.socketPath);
    // A job may have deleted the scripts (a "clean /tmp" step): put them back before the next job's hook runs.
    const stopRestoring = observer.onJobStarted(() => files.restore());
    return {
      env: files.env,
      close: async () => {
        stopRestoring();
        await channel.close();
        files.remove();
      },
    };
  } catch (error) {
    log(`job hooks disabled: ${error instanceof Error ? error.message : String(error)}; the runner runs on without job context`);
    return undefined;
  }
}

/** The script this process was started with: bin/runner-supervisor.js, or the single-file build. */
function entryScript(): string {
  const script = process.argv[1] ?? "";
  try {
    return realpathSync(script);
  } catch {
    return script;
  }
}

/** The runner applies its .env file over its environment, so hooks set there replace ours. */
function warnAboutDotEnv(runnerHome: string, log: Log): void {
  let text: string;
  try {
    text = readFileSync(join(runnerHome, ".env"), "utf8").slice(0, 65_536);
  } catch {
    return;
  }
  for (const name of Object.values(HOOK_ENV)) {
    if (new RegExp(`^\\s*${name}=`, "m").test(text)) {
      log(`${name} is set in ${join(runnerHome, ".env")}, which the runner applies over the supervisor's hook: set it in the environment instead, and both run`);
    }
  }
}
