import { createServer, connect, type Server, type Socket } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { headEnd, MAX_HELD_BYTES, RequestGate } from "../../../src/http/request-gate.js";

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
 * A gate over a real loopback connection; returns it, the client side, and what it handed on.
 * With `parse`, a request starts as soon as a head is handed on, as node:http's parser does.
 */
async function gatePair(parse: boolean): Promise<{ gate: RequestGate; client: Socket; handed: string[] }> {
  const handed: string[] = [];
  const accepted = new Promise<RequestGate>((resolve) => {
    const server = createServer((socket) => {
      const gate = new RequestGate(socket, () => performance.now(), () => undefined);
      gate.on("data", (c: Buffer) => {
        handed.push(c.toString());
        if (parse && c.includes("\r\n\r\n")) gate.requestStarted();
      });
      gate.on("error", () => undefined);
      resolve(gate);
    });
    servers.push(server);
    server.listen(0, "127.0.0.1");
  });
  const server = servers[servers.length - 1]!;
  await new Promise((r) => server.once("listening", r));
  const client = connect((server.address() as { port: number }).port, "127.0.0.1");
  client.on("error", () => undefined);
  return { gate: await accepted, client, handed };
}
const tick = () => new Promise((r) => setTimeout(r, 30));

describe("the request gate", () => {
  it("hands on one request at a time: the next only when the answer is done", async () => {
    const { gate, client, handed } = await gatePair(true);
    client.write("GET /a HTTP/1.1\r\n\r\nGET /b HTTP/1.1\r\n\r\n");
    await tick();
    expect(handed.join("")).toBe("GET /a HTTP/1.1\r\n\r\n");
    gate.answered();
    await tick();
    expect(handed.join("")).toBe("GET /a HTTP/1.1\r\n\r\nGET /b HTTP/1.1\r\n\r\n");
    client.destroy();
  });

  it("reads on when the parser made no request of a head (it waits for more)", async () => {
    const { client, handed } = await gatePair(false);
    client.write("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n");
    await tick();
    expect(handed.join("")).toBe("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n");
    client.destroy();
  });

  it("closes a connection that sends more than it may while its answer is written", async () => {
    const { gate, client } = await gatePair(true);
    client.write("GET /a HTTP/1.1\r\n\r\n");
    await tick();
    const closed = new Promise((r) => gate.once("close", r));
    client.write(Buffer.alloc(MAX_HELD_BYTES + 1, 0x61));
    await closed;
    expect(gate.destroyed).toBe(true);
  });
});
