import { Counter } from "../metrics/prom-client.js";
import { CHANNEL_MESSAGE_KINDS } from "../observation.js";
import { nameOf, type Collector, type Registers } from "./collector.js";

/** What the job channel received: hooks, cache reports, and messages it rejected. */
export function channelCollector(registers: Registers): Collector {
  const messages = new Counter({
    name: "github_runner_context_messages_total",
    help: "Messages from the runner's job hooks and workflow steps over the local channel, by kind (rejected: malformed or oversized).",
    labelNames: ["kind"] as const,
    registers,
  });
  for (const kind of CHANNEL_MESSAGE_KINDS) messages.inc({ kind }, 0);
  return {
    names: [nameOf(messages)],
    observe: (change) => {
      if (change.type === "channel-message") messages.inc({ kind: change.kind });
    },
  };
}
