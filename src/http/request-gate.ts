import type { Socket } from "node:net";
import { Duplex } from "node:stream";

/** Bytes of a client's next requests held while its current answer is written; more closes the connection. */
export const MAX_HELD_BYTES = 16 * 1024;
const EMPTY: Buffer = Buffer.alloc(0);

/**
 * Where the first request head in `data` ends (just past its blank line), or -1. A head ends at
 * "\n\n" or "\n\r\n" (the parser accepts bare LF line ends too); `carry` is the last two bytes
 * handed on before `data`, so an end split across reads is found.
 */
export function headEnd(carry: Buffer, data: Buffer): number {
  const bytes = carry.length === 0 ? data : Buffer.concat([carry, data]);
  for (let i = bytes.indexOf(0x0a); i !== -1; i = bytes.indexOf(0x0a, i + 1)) {
    if (bytes[i + 1] === 0x0a) return i + 2 - carry.length;
    if (bytes[i + 1] === 0x0d && bytes[i + 2] === 0x0a) return i + 3 - carry.length;
  }
  return -1;
}

/**
 * One client connection as the HTTP parser sees it: the socket's bytes, handed on one request
 * at a time. While an answer is being written the socket is not read and what already arrived
 * is held (at most MAX_HELD_BYTES). Without it, one 64 KiB read of pipelined requests becomes
 * thousands of parsed requests and queued answers before any code of ours could refuse them.
 * It also keeps what the connection pool needs to choose a victim: what the client has done.
 */
export class RequestGate extends Duplex {
  readonly remoteAddress: string;
  readonly remotePort: number | undefined;
  readonly openedAtMs: number;
  /** Requests the parser started on this connection. */
  requests = 0;
  /** When the request being answered started; undefined while none is. */
  answerSinceMs: number | undefined;
  /** When the last answer finished (the connection is idle since). */
  lastAnswerMs: number;
  /** When the first bytes of a request head not yet complete arrived; undefined while none is. */
  headSinceMs: number | undefined;
  /**
   * reading: bytes go on, up to the end of one request head; parsing: a head went on and the
   * parser has not said yet whether it made a request of it; answering: it did, and the rest waits.
   */
  private phase: "reading" | "parsing" | "answering" = "reading";
  private held: Buffer = EMPTY;
  private carry: Buffer = EMPTY;
  private attached = false;

  /**
   * @param attach hands this connection to the HTTP parser; called at its first bytes, so a
   *   client that connects and sends nothing costs the parser nothing.
   */
  constructor(
    private readonly socket: Socket,
    private readonly now: () => number,
    private readonly attach: (gate: RequestGate) => void,
  ) {
    super({ allowHalfOpen: false });
    this.remoteAddress = socket.remoteAddress ?? "";
    this.remotePort = socket.remotePort;
    this.openedAtMs = now();
    this.lastAnswerMs = this.openedAtMs;
    socket.setNoDelay(true);
    socket.on("data", (chunk: Buffer) => this.arrived(chunk));
    socket.on("end", () => this.push(null));
    socket.on("error", (error) => this.destroy(error));
    socket.on("close", () => this.destroy());
    socket.on("timeout", () => this.emit("timeout"));
    socket.on("drain", () => this.emit("drain"));
  }

  /** Whether the client has not had a request started yet. */
  get fresh(): boolean {
    return this.requests === 0;
  }

  /** The parser started a request (called by the request handler, as it begins). */
  requestStarted(): void {
    this.phase = "answering";
    this.requests++;
    this.answerSinceMs = this.now();
  }

  /** The answer to the request in progress is complete (or abandoned): hand on the next one. */
  answered(): void {
    if (this.phase !== "answering") return;
    this.phase = "reading";
    this.answerSinceMs = undefined;
    this.lastAnswerMs = this.now();
    this.release();
  }

  /** Since when the connection waits for its client to complete a request head; undefined when it does not. */
  waitingForHeadSinceMs(): number | undefined {
    if (this.phase !== "reading") return undefined;
    return this.fresh ? (this.headSinceMs ?? this.openedAtMs) : this.headSinceMs;
  }

  private arrived(chunk: Buffer): void {
    if (!this.attached) {
      this.attached = true;
      this.attach(this);
    }
    this.held = this.held.length === 0 ? chunk : Buffer.concat([this.held, chunk]);
    if (this.phase !== "reading" && this.held.length > MAX_HELD_BYTES) {
      this.destroy();
      return;
    }
    this.release();
  }

  private release(): void {
    if (this.phase === "reading" && this.held.length > 0) {
      const end = headEnd(this.carry, this.held);
      // Without a complete head, everything goes on: the parser itself bounds a head's size.
      const part = end === -1 ? this.held : this.held.subarray(0, end);
      this.held = end === -1 ? EMPTY : this.held.subarray(end);
      this.carry = end === -1 ? tail(this.carry, part) : EMPTY;
      if (end === -1) this.headSinceMs ??= this.now();
      else {
        this.headSinceMs = undefined;
        this.phase = "parsing";
      }
      this.push(part);
      // The parser has seen the head once it is taken from the buffer: at once when the stream
      // flows, else by the next turn of the event loop. If it made no request of it (it waits
      // for more, as for HTTP/2's preface, or it failed), read on.
      if (this.phase === "parsing") {
        if (this.readableLength === 0) this.readOn();
        else setImmediate(() => this.readOn());
      }
    }
    // Read on only while nothing waits: what is held is what the client sent too early.
    if (this.held.length > 0) this.socket.pause();
    else this.socket.resume();
  }

  /** Gives up on a client too slow to send its request: 408, then the connection closes. */
  timeOut(): void {
    this.socket.end("HTTP/1.1 408 Request Timeout\r\nConnection: close\r\nContent-Length: 0\r\n\r\n", () => this.socket.destroy());
    this.socket.setTimeout(1000, () => this.socket.destroy());
  }

  private readOn(): void {
    if (this.phase !== "parsing") return;
    this.phase = "reading";
    this.release();
  }

  override _read(): void {}

  // Answers go straight to the socket (its own buffering and backpressure), not through a second
  // Writable: the gate only ever holds back what the client sends, never what it is sent.
  override write(chunk: unknown, encoding?: BufferEncoding | ((error?: Error | null) => void), callback?: (error?: Error | null) => void): boolean {
    return typeof encoding === "function" ? this.socket.write(chunk as Buffer, encoding) : this.socket.write(chunk as Buffer, encoding as BufferEncoding, callback);
  }

  override cork(): void {
    this.socket.cork();
  }

  override uncork(): void {
    this.socket.uncork();
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    this.socket.write(chunk, callback);
  }

  override _writev(chunks: { chunk: Buffer }[], callback: (error?: Error | null) => void): void {
    // An answer's head and body go out in one system call.
    this.socket.cork();
    for (let i = 0; i < chunks.length - 1; i++) this.socket.write(chunks[i]!.chunk);
    this.socket.write(chunks[chunks.length - 1]!.chunk, callback);
    this.socket.uncork();
  }

  override _final(callback: (error?: Error | null) => void): void {
    this.socket.end();
    callback();
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    this.socket.destroy();
    callback(error);
  }

  // The parts of net.Socket that node:http uses on a connection.
  setTimeout(ms: number, onTimeout?: () => void): this {
    this.socket.setTimeout(ms);
    if (onTimeout) this.once("timeout", onTimeout);
    return this;
  }

  setNoDelay(noDelay?: boolean): this {
    this.socket.setNoDelay(noDelay);
    return this;
  }

  setKeepAlive(enable?: boolean, delayMs?: number): this {
    this.socket.setKeepAlive(enable, delayMs);
    return this;
  }

  destroySoon(): void {
    this.end();
  }
}

/** The last two bytes of what came before and `part`, for finding a head's end split across reads. */
function tail(before: Buffer, part: Buffer): Buffer {
  if (part.length >= 2) return Buffer.from(part.subarray(part.length - 2));
  return Buffer.concat([before, part]).subarray(-2);
}
