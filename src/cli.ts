import { Command, CommanderError, Option } from "commander";
import { EXIT_CONFIG, type FlagValues } from "./config/config.js";
import { OPTIONS, type OptionKey, type OptionSpec } from "./config/options.js";
import { VERSION } from "./common/version.js";

/** What the command line asks for: run with these flags, or exit at once (help, version, usage error). */
export type CliResult =
  | { readonly kind: "run"; readonly flags: FlagValues; readonly command: readonly string[] }
  | { readonly kind: "exit"; readonly code: number };

/** How an option is written on the command line: with its argument, or as the switch that changes its default. */
export function flagOf(spec: OptionSpec<unknown>): string {
  if ("arg" in spec && spec.arg) return `--${spec.flag} ${spec.arg}`;
  return spec.defaultValue() === true ? `--no-${spec.flag}` : `--${spec.flag}`;
}

/**
 * Parses argv (without node and the script) with commander; writes help, version and usage errors itself.
 * The subcommands `hook` and `report` never get here: entry.ts runs them before this module loads
 * (a command to supervise named hook or report goes after `--`).
 */
export function parseCli(argv: readonly string[], write: { out: (s: string) => void; err: (s: string) => void }): CliResult {
  const program = new Command("runner-supervisor")
    .description(
      "Runs the GitHub Actions runner as its child (PID 1 of the container), passes its output through and serves Prometheus metrics of its jobs.",
    )
    .usage("[options] [-- command [args...]]")
    .argument("[command...]", "command to run instead of ./run.sh in the runner directory")
    .version(VERSION, "-V, --version", "print the version and exit")
    .helpOption("-h, --help", "print this help and exit")
    .exitOverride()
    .configureOutput({
      writeOut: write.out,
      writeErr: write.err,
      // Every usage error ends with where the options are told.
      outputError: (msg, w) => w(`runner-supervisor: ${msg.replace(/^error: /, "").trimEnd()} (see runner-supervisor --help)\n`),
    })
    .addHelpText(
      "after",
      `\nSubcommands: runner-supervisor hook job-started|job-completed (run by the job hooks it installs); runner-supervisor report cache --help (for workflow steps).\nExit codes: the child's own; 128+N when it died by signal N; 127 or 126 when the command does not exist or cannot run; ${EXIT_CONFIG} for a bad option or variable; 70 when the supervisor itself fails.`,
    );

  for (const key of Object.keys(OPTIONS) as OptionKey[]) {
    const spec = OPTIONS[key];
    const help = `${spec.description} (env: ${spec.env}, default: ${spec.defaultText})`;
    program.addOption(new Option(flagOf(spec), help));
  }

  try {
    program.parse([...argv], { from: "user" });
  } catch (error) {
    if (error instanceof CommanderError) {
      const done = error.code === "commander.helpDisplayed" || error.code === "commander.version" || error.code === "commander.help";
      return { kind: "exit", code: done ? 0 : EXIT_CONFIG };
    }
    throw error;
  }

  const opts = program.opts<Record<string, string | boolean>>();
  const flags: FlagValues = {};
  for (const key of Object.keys(OPTIONS) as OptionKey[]) {
    // Only what the user typed: defaults and variables are resolved in config.ts.
    if (program.getOptionValueSource(key) === "cli") flags[key] = opts[key]!;
  }
  return { kind: "run", flags, command: program.args };
}
