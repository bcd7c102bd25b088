// The first file that runs. Signal listeners go in before anything else is loaded: a signal that
// arrives during start-up is held and delivered to the child once it exists, never lost to
// Node's defaults. The rest is loaded after, so the window in which a signal is lost is only
// Node's own start-up.
import { SignalRouter } from "./process/signals.js";

const argv = process.argv.slice(2);
const exit = (code: number) => process.exit(code);
if (argv[0] === "hook" || argv[0] === "report") {
  // Run by the runner's hooks and by workflow steps: load only what they need, they have a second.
  void import("./in-job/commands.js").then(({ runSubcommand }) => runSubcommand(argv, process.env)).then(exit);
} else {
  const signals = new SignalRouter().install();
  // main() settles with the exit code; should it ever fail instead, say so and exit 70 rather
  // than linger with the child's exit code lost.
  const failed = (error: unknown) => {
    process.stderr.write(
      `runner-supervisor: internal error, exiting: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
    return 70;
  };
  // The supervisor leaves through exitNow (src/process/exit-now.ts): Node's own exit can hang.
  void import("./main.js").then(
    ({ main, exitNow }) => main(signals, argv).then(exitNow, (error: unknown) => exitNow(failed(error))),
    (error: unknown) => exit(failed(error)),
  );
}
