import { EventEmitter } from "node:events";
import { describe, expect, it } from "vitest";
import type { Connection } from "../../../src/http/connection.js";
import { ConnectionPool } from "../../../src/http/connection-pool.js";
import { networkOf } from "../../../src/http/network.js";

/** A connection as the pool sees it: what its client has done, and whether it was closed. */
class FakeConnection {
  requests = 0;
  answerSinceMs: number | undefined;
  headSinceMs: number | undefined;
  lastAnswerMs: number;
  proven = false;
  destroyed = false;
  timedOut = false;
  readonly socket = new EventEmitter();
  readonly network: string;
  constructor(
    readonly name: string,
    remoteAddress: string,
    readonly openedAtMs: number,
  ) {
    this.network = networkOf(remoteAddress);
    this.lastAnswerMs = openedAtMs;
  }
  get fresh(): boolean {
    return this.requests === 0;
  }
  waitingForHeadSinceMs(): number | undefined {
    if (this.answerSinceMs !== undefined) return undefined;
    return this.fresh ? (this.headSinceMs ?? this.openedAtMs) : this.headSinceMs;
  }
  close(): void {
    this.destroyed = true;
    this.socket.emit("close");
  }
  timeOut(): void {
    this.timedOut = true;
    this.close();
  }
}
const FakeGate = FakeConnection;
type FakeGate = FakeConnection;

const LIMITS = { maxConnections: 3, headTimeoutMs: 5_000, answerDeadlineMs: 10_000, stalledAnswerMs: 1_000, keepAliveTimeoutMs: 120_000 };

function pool(now: { t: number }) {
  const p = new ConnectionPool(LIMITS, () => now.t);
  const admit = (g: FakeGate) => p.admit(g as unknown as Connection);
  return { p, admit };
}

describe("the connection pool", () => {
  it("when full, evicts a connection that has not completed a request, from the network with most connections, oldest first", () => {
    const now = { t: 0 };
    const { admit } = pool(now);
    // 10.0.1.1 and 10.0.1.9 are one network (/24), as are the two addresses of one /56 in IPv6.
    const a1 = new FakeGate("a1", "10.0.1.1", 1);
    const b1 = new FakeGate("b1", "10.0.2.1", 0);
    const a2 = new FakeGate("a2", "10.0.1.9", 2);
    for (const g of [a1, b1, a2]) expect(admit(g)).toBe(true);
    expect(admit(new FakeGate("c", "10.0.3.1", 3))).toBe(true);
    expect([a1.destroyed, b1.destroyed, a2.destroyed]).toEqual([true, false, false]);
  });

  it("prefers fresh connections, then the longest idle keep-alive one, then one whose answer stalled; never one being answered", () => {
    const now = { t: 10_000 };
    const { admit } = pool(now);
    const answering = Object.assign(new FakeGate("answering", "x", 0), { requests: 1, answerSinceMs: 9_900 });
    const stalled = Object.assign(new FakeGate("stalled", "x", 0), { requests: 1, answerSinceMs: 5_000 });
    const idle = Object.assign(new FakeGate("idle", "x", 0), { requests: 1, lastAnswerMs: 9_000 });
    for (const g of [answering, stalled, idle]) admit(g);
    admit(new FakeGate("new1", "y", 10_000));
    expect(idle.destroyed).toBe(true);
    admit(new FakeGate("new2", "y", 10_001));
    // new1 has not completed a request: it goes before the stalled one.
    expect(stalled.destroyed).toBe(false);
  });

  it("refuses the newcomer only when every connection is being answered", () => {
    const now = { t: 0 };
    const { admit } = pool(now);
    for (let i = 0; i < 3; i++) admit(Object.assign(new FakeGate(`busy${i}`, "x", 0), { requests: 1, answerSinceMs: 0 }));
    const late = new FakeGate("late", "y", 0);
    expect(admit(late)).toBe(false);
    expect(late.destroyed).toBe(true);
  });

  it("times out slow heads (408) and abandons answers nobody reads", () => {
    const now = { t: 0 };
    const { p, admit } = pool(now);
    const silent = new FakeGate("silent", "x", 0);
    const slowHead = Object.assign(new FakeGate("slow", "x", 0), { requests: 1, headSinceMs: 2_000 });
    const unread = Object.assign(new FakeGate("unread", "x", 0), { requests: 1, answerSinceMs: 0 });
    for (const g of [silent, slowHead, unread]) admit(g);
    now.t = 5_500;
    p.sweep();
    expect([silent.timedOut, slowHead.timedOut, unread.destroyed]).toEqual([true, false, false]);
    now.t = 10_500;
    p.sweep();
    expect([slowHead.timedOut, unread.destroyed]).toEqual([true, true]);
    expect(p.size).toBe(0);
  });

  it("evicts connections whose client proved nothing before one that proved itself, even idle and from a network of its own", () => {
    const now = { t: 10_000 };
    const { admit } = pool(now);
    const prometheus = Object.assign(new FakeGate("prometheus", "2001:db8:0:1::5", 0), { requests: 5, lastAnswerMs: 1_000, proven: true });
    const flood = [1, 2].map((i) =>
      Object.assign(new FakeGate(`flood${i}`, `192.0.${i}.1`, 9_000 + i), { requests: 1, lastAnswerMs: 9_500 }),
    );
    for (const g of [prometheus, ...flood]) admit(g);
    // Newcomers that complete a request each, as a flood of wrong passwords does.
    for (let i = 3; i < 9; i++)
      admit(Object.assign(new FakeGate(`more${i}`, `192.0.${i}.1`, 10_000 + i), { requests: 1, lastAnswerMs: 10_000 + i }));
    expect(prometheus.destroyed).toBe(false);
    expect(flood.every((g) => g.destroyed)).toBe(true);
    expect(prometheus.destroyed).toBe(false);
  });

  it("closes a keep-alive connection idle longer than its timeout, and only then", () => {
    const now = { t: 0 };
    const { p, admit } = pool(now);
    const idle = Object.assign(new FakeGate("idle", "x", 0), { requests: 2, lastAnswerMs: 1_000 });
    admit(idle);
    now.t = 120_500;
    p.sweep();
    expect(idle.destroyed).toBe(false);
    now.t = 121_500;
    p.sweep();
    expect(idle.destroyed).toBe(true);
  });
});
