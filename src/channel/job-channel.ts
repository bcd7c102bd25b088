import { accessSync, constants, readFileSync, realpathSync, statSync } from "node:fs";
import { dirname, join } from "node:path";
import { describeError, type Log } from "../common/log.js";
import type { ChannelMessage, HookKind } from "../messages/message.js";
import { createHookDir, HOOK_ENV } from "./hook-files.js";
import { stableNodePath } from "./node-path.js";
import { openChannel } from "./socket.js";
import { sweepStaleHookDirs } from "./stale-dirs.js";

/** The supervisor's end of the job channel while the runner runs. */
export interface JobChannel {
  /** Variables to add to the runner's environment (its hooks, the channel's socket, the launcher). */
  readonly env: Readonly<Record<string, string>>;
  /** A job may have deleted the hook scripts (a "clean /tmp" step): writes them again. */
  restoreHookFiles(): void;
  close(): Promise<void>;
}

export interface JobChannelOptions {
  readonly runnerHome: string;
  /** The supervisor's own environment: the user's hooks set there still run, after ours. */
  readonly env: NodeJS.ProcessEnv;
  readonly onMessage: (message: ChannelMessage) => void;
  readonly onRejected: () => void;
  readonly log: Log;
}

/**
 * Installs the supervisor as the runner's job hooks: a private directory with the channel's
 * socket and the hook scripts. Any failure leaves the runner exactly as it would run without
 * them (the user's own hooks untouched) and says why.
 */
export async function openJobChannel(o: JobChannelOptions): Promise<JobChannel | undefined> {
  const userHooks: Partial<Record<HookKind, string>> = {};
  for (const hook of Object.keys(HOOK_ENV) as HookKind[]) {
    const value = o.env[HOOK_ENV[hook]];
    if (value) userHooks[hook] = value;
  }
  warnAboutDotEnv(o.runnerHome, o.log);
  sweepStaleHookDirs();
  try {
    const entry = entryScript();
    const launcher = installedLauncher(entry);
    const dir = createHookDir({
      node: stableNodePath(process.execPath, o.runnerHome),
      entry,
      userHooks,
      runnerHome: o.runnerHome,
      ...(launcher ? { launcher } : {}),
    });
    const channel = await openChannel(dir.socketDir, o.onMessage, o.onRejected);
    const files = dir.write(channel.socketPath);
    return {
      env: files.env,
      restoreHookFiles: () => files.restore(),
      close: async () => {
        await channel.close();
        files.remove();
      },
    };
  } catch (error) {
    o.log(`job hooks disabled: ${describeError(error)}; the runner runs on without job context`);
    return undefined;
  }
}

/** The script this process was started with: bin/runner-supervisor.js, or the bundle's first file. */
function entryScript(): string {
  const script = process.argv[1] ?? "";
  try {
    return realpathSync(script);
  } catch {
    return script;
  }
}

/** The bundle's launcher beside its first file (bin/build-bundle.mjs writes it), when this is the bundle. */
function installedLauncher(entry: string): string | undefined {
  const launcher = join(dirname(entry), "runner-supervisor");
  try {
    accessSync(launcher, constants.X_OK);
    return statSync(launcher).isFile() ? launcher : undefined;
  } catch {
    return undefined;
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
      log(
        `${name} is set in ${join(runnerHome, ".env")}, which the runner applies over the supervisor's hook: set it in the environment instead, and both run`,
      );
    }
  }
}
