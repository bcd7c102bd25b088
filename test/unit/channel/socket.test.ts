import { join } from "node:path";
import { connect, type Socket } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { openChannel, type Channel } from "../../../src/channel/socket.js";
import { sendMessage } from "../../../src/in-job/client.js";
import { MAX_MESSAGE_BYTES, type ChannelMessage } from "../../../src/messages/message.js";
import { removeTempDirs, tempDir, until } from "../../helpers/index.js";

let channel: Channel | undefined;
afterEach(async () => {
  await channel?.close();
  channel = undefined;
  removeTempDirs();
});

describe("the local channel (a real Unix socket)", () => {
  it("delivers a message and answers ok; rejects garbage and oversized messages", async () => {
    const got: ChannelMessage[] = [];
    let rejected = 0;
    channel = await openChannel(
      tempDir(),
      (m) => got.push(m),
      () => rejected++,
    );
    const cache: ChannelMessage = { kind: "cache", cacheType: "npm", hits: 2, misses: 1 };
    expect(await sendMessage(channel.socketPath, cache, 2000)).toBe(true);
    expect(got).toEqual([cache]);
    expect(await sendMessage(channel.socketPath, { kind: "cache", cacheType: "npm", hits: 0, misses: 0 }, 2000)).toBe(false);
    const answer = await rawSend(channel.socketPath, `${"x".repeat(MAX_MESSAGE_BYTES + 10)}\n`);
    expect(answer).not.toContain("ok");
    expect(rejected).toBe(2);
    expect(got).toHaveLength(1);
  });

  it("a full pool makes room for a newcomer by closing the oldest connection still to send its line", async () => {
    const got: ChannelMessage[] = [];
    channel = await openChannel(
      tempDir(),
      (m) => got.push(m),
      () => undefined,
    );
    const idle: Socket[] = [];
    for (let i = 0; i < 1100; i++) idle.push(await opened(channel.socketPath));
    const cache: ChannelMessage = { kind: "cache", cacheType: "npm", hits: 1, misses: 0 };
    expect(await sendMessage(channel.socketPath, cache, 5000)).toBe(true);
    expect(got).toEqual([cache]);
    // The pool holds 1,024: the oldest idle ones were closed to let the others and the message in, the newest are still open.
    await until(() => idle.filter((c) => c.destroyed).length >= 1100 - 1024);
    expect(idle[0]!.destroyed).toBe(true);
    expect(idle.at(-1)!.destroyed).toBe(false);
    for (const c of idle) c.destroy();
  });

  it("the client gives up on an unreachable socket without throwing", async () => {
    expect(await sendMessage(join(tempDir(), "none.sock"), { kind: "cache", cacheType: "npm", hits: 1, misses: 0 }, 500)).toBe(false);
  });
});

/** A connection that has connected and sends nothing. */
function opened(path: string): Promise<Socket> {
  return new Promise((resolve) => {
    const socket = connect(path, () => resolve(socket));
    socket.on("error", () => undefined);
  });
}

function rawSend(path: string, text: string): Promise<string> {
  return new Promise((resolve) => {
    let answer = "";
    const socket = connect(path, () => socket.write(text));
    socket.setEncoding("utf8");
    socket.on("data", (c: string) => (answer += c));
    socket.on("error", () => resolve(answer));
    socket.on("close", () => resolve(answer));
  });
}
