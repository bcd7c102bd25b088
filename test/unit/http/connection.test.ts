import { createServer, connect, type Server, type Socket } from "node:net";
import type { Duplex } from "node:stream";
import { afterEach, describe, expect, it } from "vitest";
import { Connection, headEnd, MAX_HELD_BYTES } from "../../../src/http/connection.js";
import { until } from "../../helpers/index.js";

describe("headEnd", () => {
  it("finds the end of the first request head, CRLF or bare LF, also across reads", () => {
    expect(headEnd(Buffer.alloc(0), Buffer.from("GET / HTTP/1.1\r\nHost: x\r\n\r\nGET"))).toBe(27);
    expect(headEnd(Buffer.alloc(0), Buffer.from("GET / HTTP/1.1\nHost: x\n\nGET"))).toBe(24);
    expect(headEnd(Buffer.alloc(0), Buffer.from("GET / HTTP/1.1\r\nHost: x\r\n"))).toBe(-1);
    expect(headEnd(Buffer.from("\r\n"), Buffer.from("\r\nrest"))).toBe(2);
    expect(headEnd(Buffer.from("x\n"), Buffer.from("\nrest"))).toBe(1);
  });
});

const servers: Server[] = [];
afterEach(() => {
  for (const s of servers.splice(0)) s.close();
});

/**
 * A connection over a real loopback socket, read as node:http reads it; returns it, the stream,
 * the client side, and what the stream handed on. With `parse`, a request starts as soon as a
 * head is handed on, as node:http's parser does.
 */
async function pair(parse: boolean): Promise<{ connection: Connection; stream: Duplex; client: Socket; handed: string[] }> {
  const handed: string[] = [];
  const accepted = new Promise<{ connection: Connection; stream: Duplex }>((resolve) => {
    const server = createServer((socket) => {
      const connection = new Connection(socket, () => performance.now());
      const stream = connection.readBy(socket, false);
      stream.on("data", (c: Buffer) => {
        handed.push(c.toString());
        if (parse && c.includes("\r\n\r\n")) connection.requestStarted();
      });
      stream.on("error", () => undefined);
      resolve({ connection, stream });
    });
    servers.push(server);
    server.listen(0, "127.0.0.1");
  });
  const server = servers[servers.length - 1]!;
  await new Promise((r) => server.once("listening", r));
  const client = connect((server.address() as { port: number }).port, "127.0.0.1");
  client.on("error", () => undefined);
  return { ...(await accepted), client, handed };
}
/** Room for what must not happen to show (a negative check), after what must happen has. */
const tick = () => new Promise((r) => setTimeout(r, 100));

describe("a connection as node:http reads it", () => {
  it("hands on one request at a time: the next only when the answer is done", async () => {
    const { connection, client, handed } = await pair(true);
    client.write("GET /a HTTP/1.1\r\n\r\nGET /b HTTP/1.1\r\n\r\n");
    await until(() => handed.length > 0, 10_000, "the first head");
    await tick();
    expect(handed.join("")).toBe("GET /a HTTP/1.1\r\n\r\n");
    connection.answered();
    await until(() => handed.join("") === "GET /a HTTP/1.1\r\n\r\nGET /b HTTP/1.1\r\n\r\n", 10_000, "the second head");
    client.destroy();
  });

  it("reads on when the parser made no request of a head (it waits for more)", async () => {
    const { client, handed } = await pair(false);
    client.write("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n");
    await until(() => handed.join("") === "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", 10_000, "both parts");
    client.destroy();
  });

  it("closes a connection that sends more than it may while its answer is written", async () => {
    const { stream, client, handed } = await pair(true);
    client.write("GET /a HTTP/1.1\r\n\r\n");
    await until(() => handed.length > 0, 10_000, "the head");
    const closed = new Promise((r) => stream.once("close", r));
    client.write(Buffer.alloc(MAX_HELD_BYTES + 1, 0x61));
    await closed;
    expect(stream.destroyed).toBe(true);
  });

  it("counts its client by network, and is proven only when told", async () => {
    const { connection, client } = await pair(false);
    expect(connection.network).toBe("127.0.0.0/24");
    expect(connection.proven).toBe(false);
    connection.prove();
    expect(connection.proven).toBe(true);
    client.destroy();
  });
});
