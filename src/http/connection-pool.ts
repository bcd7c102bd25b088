import type { Connection } from "./connection.js";

export interface PoolLimits {
  /** Connections held at once. */
  readonly maxConnections: number;
  /** A request head (or a new connection's first one, TLS handshake included) not complete by then is answered 408 and closed. */
  readonly headTimeoutMs: number;
  /** An answer not written by then is abandoned with its connection (its client stopped reading). */
  readonly answerDeadlineMs: number;
  /** An answer waiting this long for its client makes the connection a candidate for eviction. */
  readonly stalledAnswerMs: number;
  /** A keep-alive connection idle this long after its last answer is closed. */
  readonly keepAliveTimeoutMs: number;
}

/**
 * The endpoint's connections. When it is full, a new connection takes the place of the one that
 * has given least. Connections whose client has proven nothing (no verified client certificate, no
 * accepted credentials) go before any that has; within each: first one that has not completed a
 * request (from the network holding most connections, oldest first: slow or idle clients), then
 * the longest idle keep-alive connection, then one whose client stopped reading its answer. Only
 * when every connection is being answered is the newcomer refused. So idle and unfinished
 * connections never lock a scraper out, and a scraper that has proven itself keeps its connection.
 */
export class ConnectionPool {
  private readonly connections = new Set<Connection>();

  constructor(
    private readonly limits: PoolLimits,
    private readonly now: () => number,
  ) {}

  get size(): number {
    return this.connections.size;
  }

  /** Takes a new connection in, evicting another when full; false (and the newcomer closed) when none can go. */
  admit(connection: Connection): boolean {
    if (this.connections.size >= this.limits.maxConnections) {
      const victim = this.victim();
      if (!victim) {
        connection.close();
        return false;
      }
      this.connections.delete(victim);
      victim.close();
    }
    this.connections.add(connection);
    connection.socket.once("close", () => this.connections.delete(connection));
    return true;
  }

  /** Closes connections whose client is too slow (to begin a request or a handshake, or to read its answer) or idle too long. */
  sweep(): void {
    const now = this.now();
    for (const c of this.connections) {
      const headSince = c.waitingForHeadSinceMs();
      if (headSince !== undefined && now - headSince > this.limits.headTimeoutMs) {
        this.connections.delete(c);
        c.timeOut();
      } else if (c.answerSinceMs !== undefined && now - c.answerSinceMs > this.limits.answerDeadlineMs) c.close();
      else if (headSince === undefined && c.answerSinceMs === undefined && now - c.lastAnswerMs > this.limits.keepAliveTimeoutMs) c.close();
    }
  }

  closeAll(): void {
    for (const c of this.connections) c.close();
    this.connections.clear();
  }

  private victim(): Connection | undefined {
    const now = this.now();
    const perNetwork = new Map<string, number>();
    for (const c of this.connections) perNetwork.set(c.network, (perNetwork.get(c.network) ?? 0) + 1);
    let best: Connection | undefined;
    let bestRank: readonly number[] | undefined;
    for (const c of this.connections) {
      const rank = this.rank(c, now, perNetwork.get(c.network) ?? 0);
      if (rank && (!bestRank || before(rank, bestRank))) {
        best = c;
        bestRank = rank;
      }
    }
    return best;
  }

  /** Lower goes first: [proven, kind, fewer connections of its network last, older first]; undefined: not to be evicted. */
  private rank(c: Connection, now: number, ofNetwork: number): readonly number[] | undefined {
    const proven = c.proven ? 1 : 0;
    if (c.fresh) return [proven, 0, -ofNetwork, c.openedAtMs];
    if (c.answerSinceMs === undefined) return [proven, 1, -ofNetwork, c.lastAnswerMs];
    if (now - c.answerSinceMs >= this.limits.stalledAnswerMs) return [proven, 2, -ofNetwork, c.answerSinceMs];
    return undefined;
  }
}

function before(a: readonly number[], b: readonly number[]): boolean {
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return a[i]! < b[i]!;
  return false;
}
