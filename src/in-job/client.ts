import { connect } from "node:net";
import type { ChannelMessage } from "../messages/message.js";

/**
 * Sends one message and waits for the answer, at most timeoutMs. Never throws: the caller is a
 * hook or a step, and a failure there must not fail the job. Resolves true when accepted.
 */
export function sendMessage(socketPath: string, message: ChannelMessage, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    let answer = "";
    let settled = false;
    const settle = (ok: boolean) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      resolve(ok);
    };
    const socket = connect(socketPath);
    const timer = setTimeout(() => settle(false), timeoutMs);
    socket.setEncoding("utf8");
    socket.on("error", () => settle(false));
    socket.on("data", (chunk: string) => {
      answer += chunk;
      if (answer.includes("\n") || answer.length > 64) settle(answer.startsWith("ok"));
    });
    socket.on("close", () => settle(answer.startsWith("ok")));
    socket.on("connect", () => socket.write(`${JSON.stringify(message)}\n`));
  });
}
