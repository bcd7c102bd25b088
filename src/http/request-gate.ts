import type { Socket } from "node:net";
import { Duplex } from "node:stream";

/**
 * What the gate does with a connection's first bytes before any parser sees them: true when a
 * layer below (TLS) took the connection over (see handOver and adopt); false to read them as HTTP.
 */
export type FirstBytes = (gate: RequestGate, first: Buffer) => boolean;

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
 * A layer such as TLS goes under it: the gate exists from the moment a connection is accepted
 * (so the pool's limits bound a handshake too), hands the accepted socket over on its first
 * bytes, and reads the decrypted socket it adopts once the handshake is done.
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
  private firstSeen = false;
  /** The socket read from: the accepted one, or the layer over it that the gate adopted. */
  private socket: Socket;
  /** Between handOver and adopt: the connection's bytes are with the layer below. */
  private handedOver = false;
  /** Whether the gate reads through an encrypted layer (TLS). */
  encrypted = false;

  /**
   * @param accepted the socket as the listener accepted it
   * @param attach hands this connection to the HTTP parser; called at its first bytes, so a
   *   client that connects and sends nothing costs the parser nothing.
   * @param firstBytes looks at the first bytes before the parser does (TLS or plain HTTP)
   */
  constructor(
    private readonly accepted: Socket,
    private readonly now: () => number,
    private readonly attach: (gate: RequestGate) => void,
    private readonly firstBytes?: FirstBytes,
  ) {
    super({ allowHalfOpen: false });
    this.socket = accepted;
    this.remoteAddress = accepted.remoteAddress ?? "";
    this.remotePort = accepted.remotePort;
    this.openedAtMs = now();
    this.lastAnswerMs = this.openedAtMs;
    accepted.setNoDelay(true);
    // Whatever layer is read later, the accepted socket's end is the connection's end.
    accepted.on("error", this.onError);
    accepted.on("close", this.onClose);
    this.listen(accepted);
  }

  private readonly onData = (chunk: Buffer) => this.arrived(chunk);
  private readonly onEnd = () => this.push(null);
  private readonly onError = (error: Error) => this.destroy(error);
  private readonly onClose = () => this.destroy();
  private readonly onTimeout = () => this.emit("timeout");
  private readonly onDrain = () => this.emit("drain");

  private listen(socket: Socket): void {
    socket.on("data", this.onData);
    socket.on("end", this.onEnd);
    socket.on("timeout", this.onTimeout);
    socket.on("drain", this.onDrain);
  }

  private unlisten(socket: Socket): void {
    socket.off("data", this.onData);
    socket.off("end", this.onEnd);
    socket.off("timeout", this.onTimeout);
    socket.off("drain", this.onDrain);
  }

  /**
   * Gives the accepted socket, paused and no longer read by the gate, to a layer below (from
   * firstBytes): its bytes are that layer's until it hands back the socket to read with adopt.
   */
  handOver(): Socket {
    this.unlisten(this.accepted);
    this.accepted.pause();
    this.handedOver = true;
    return this.accepted;
  }

  /** Reads from now on through `socket`, the layer over the accepted socket (a TLS socket after its handshake). */
  adopt(socket: Socket, encrypted: boolean): void {
    if (this.destroyed) {
      socket.destroy();
      return;
    }
    this.socket = socket;
    this.encrypted = encrypted;
    this.handedOver = false;
    socket.on("error", this.onError);
    socket.on("close", this.onClose);
    socket.setNoDelay(true);
    this.listen(socket);
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
    if (!this.firstSeen) {
      this.firstSeen = true;
      if (this.firstBytes?.(this, chunk)) return;
    }
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

  /** Gives up on a client too slow to send its request: 408, then the connection closes (at once during a handshake). */
  timeOut(): void {
    if (this.handedOver) {
      this.destroy();
      return;
    }
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
    this.accepted.destroy();
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
