import { connect, type Socket } from "node:net";
import type { ChannelMessage } from "../messages/message.js";

/** Pause before connecting again when the channel's queue of pending connections is full. */
const RETRY_MS = 5;

/**
 * Sends one message and waits for the answer, at most timeoutMs. Never throws: the caller is a
 * hook or a step, and a failure there must not fail the job. Resolves true when accepted. A full
 * queue of pending connections (EAGAIN: something floods the channel) is tried again until the
 * time is up; the supervisor admits every connection it accepts.
 */
export function sendMessage(socketPath: string, message: ChannelMessage, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    let answer = "";
    let settled = false;
    let socket: Socket | undefined;
    const settle = (ok: boolean) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket?.destroy();
      resolve(ok);
    };
    const timer = setTimeout(() => settle(false), timeoutMs);
    const attempt = () => {
      if (settled) return;
      const s = connect(socketPath);
      socket = s;
      s.setEncoding("utf8");
      s.on("error", (error: NodeJS.ErrnoException) => {
        if (error.code === "EAGAIN" && answer === "") setTimeout(attempt, RETRY_MS);
        else settle(false);
      });
      s.on("data", (chunk: string) => {
        answer += chunk;
        if (answer.includes("\n") || answer.length > 64) settle(answer.startsWith("ok"));
      });
      s.on("close", (hadError) => {
        if (!hadError) settle(answer.startsWith("ok"));
      });
      s.on("connect", () => s.write(`${JSON.stringify(message)}\n`));
    };
    attempt();
  });
}
