// Signal listeners go in before anything else is loaded: a signal that arrives during start-up
// is held and delivered to the child once it exists, never lost to Node's defaults.
import { SignalRouter } from "./process/signals.js";

const argv = process.argv.slice(2);
if (argv[0] === "hook" || argv[0] === "report") {
  // Run by the runner's hooks and by workflow steps: load only what they need, they have a second.
  const { runSubcommand } = await import("./in-job/commands.js");
  process.exit(await runSubcommand(argv, process.env));
}
const signals = new SignalRouter().install();
const { main } = await import("./main.js");
const code = await main(signals, argv);
process.exit(code);
