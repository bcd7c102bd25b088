// Signal listeners go in before anything else is loaded: a signal that arrives during start-up
// is held and delivered to the child once it exists, never lost to Node's defaults.
import { outputBrokeWithin } from "./io/broken-output.js";
import { SignalRouter } from "./process/signals.js";

const signals = new SignalRouter(() => outputBrokeWithin(1000)).install();
const { main } = await import("./main.js");
const code = await main(signals, process.argv.slice(2));
process.exit(code);
