import type { RequestGate } from "./request-gate.js";

export interface PoolLimits {
  /** Connections held at once. */
  readonly maxConnections: number;
  /** A request head (or a new connection's first one) not complete by then is answered 408 and closed. */
  readonly headTimeoutMs: number;
  /** An answer not written by then is abandoned with its connection (its client stopped reading). */
  readonly answerDeadlineMs: number;
  /** An answer waiting this long for its client makes the connection a candidate for eviction. */
  readonly stalledAnswerMs: number;
}

/**
 * The endpoint's connections. When it is full, a new connection takes the place of the one that
 * has given least: first one that has not completed a request (from the address holding most
 * connections, oldest first: slow or idle clients), then the longest idle keep-alive connection,
 * then one whose client stopped reading its answer. Only when every connection is being answered
 * is the newcomer refused. So idle and unfinished connections can never lock a scraper out.
 */
export class ConnectionPool {
  private readonly gates = new Set<RequestGate>();

  constructor(
    private readonly limits: PoolLimits,
    private readonly now: () => number,
  ) {}

  get size(): number {
    return this.gates.size;
  }

  /** Takes a new connection in, evicting another when full; false (and the newcomer closed) when none can go. */
  admit(gate: RequestGate): boolean {
    if (this.gates.size >= this.limits.maxConnections) {
      const victim = this.victim();
      if (!victim) {
        gate.destroy();
        return false;
      }
      this.gates.delete(victim);
      victim.destroy();
    }
    this.gates.add(gate);
    gate.once("close", () => this.gates.delete(gate));
    return true;
  }

  /** Closes connections whose client is too slow: to send a request head, or to read its answer. */
  sweep(): void {
    const now = this.now();
    for (const gate of this.gates) {
      const headSince = gate.waitingForHeadSinceMs();
      if (headSince !== undefined && now - headSince > this.limits.headTimeoutMs) {
        this.gates.delete(gate);
        gate.timeOut();
      } else if (gate.answerSinceMs !== undefined && now - gate.answerSinceMs > this.limits.answerDeadlineMs) gate.destroy();
    }
  }

  closeAll(): void {
    for (const gate of this.gates) gate.destroy();
    this.gates.clear();
  }

  private victim(): RequestGate | undefined {
    const now = this.now();
    const perAddress = new Map<string, number>();
    for (const gate of this.gates) perAddress.set(gate.remoteAddress, (perAddress.get(gate.remoteAddress) ?? 0) + 1);
    let best: RequestGate | undefined;
    let bestRank: readonly number[] | undefined;
    for (const gate of this.gates) {
      const rank = this.rank(gate, now, perAddress.get(gate.remoteAddress) ?? 0);
      if (rank && (!bestRank || before(rank, bestRank))) {
        best = gate;
        bestRank = rank;
      }
    }
    return best;
  }

  /** Lower goes first: [kind, fewer connections of its address last, older first]; undefined: not to be evicted. */
  private rank(gate: RequestGate, now: number, ofAddress: number): readonly number[] | undefined {
    if (gate.fresh) return [0, -ofAddress, gate.openedAtMs];
    if (gate.answerSinceMs === undefined) return [1, -ofAddress, gate.lastAnswerMs];
    if (now - gate.answerSinceMs >= this.limits.stalledAnswerMs) return [2, -ofAddress, gate.answerSinceMs];
    return undefined;
  }
}

function before(a: readonly number[], b: readonly number[]): boolean {
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return a[i]! < b[i]!;
  return false;
}
