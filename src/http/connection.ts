import type { Socket } from "node:net";
import { Duplex } from "node:stream";
import { networkOf } from "./network.js";

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

/** Where a connection is: no byte yet, in a TLS handshake, or read by node:http. */
export type Stage = "silent" | "handshake" | "http";

/**
 * One client connection, as the pool and the guard see it: what its client has done (to choose
 * whom to evict) and what it has proven (a client certificate, accepted credentials).
 */
export class Connection {
  readonly remoteAddress: string;
  /** The client's network (/24, /56): budgets and the pool count clients by it. */
  readonly network: string;
  readonly openedAtMs: number;
  stage: Stage = "silent";
  /** Read through TLS. */
  encrypted = false;
  /** The client proved who it is (a verified client certificate, or credentials that passed): evicted last. */
  proven = false;
  /** Requests node:http started on this connection. */
  requests = 0;
  /** When the request being answered started; undefined while none is. */
  answerSinceMs: number | undefined;
  /** When the last answer finished (the connection is idle since). */
  lastAnswerMs: number;
  private meter: RequestMeter | undefined;

  constructor(
    /** The socket as the listener accepted it: its close is the connection's close. */
    readonly socket: Socket,
    private readonly now: () => number,
  ) {
    this.remoteAddress = socket.remoteAddress ?? "";
    this.network = networkOf(this.remoteAddress);
    this.openedAtMs = now();
    this.lastAnswerMs = this.openedAtMs;
  }

  /** Whether the client has not had a request started yet. */
  get fresh(): boolean {
    return this.requests === 0;
  }

  /** Marks the connection as having proven who its client is. */
  prove(): void {
    this.proven = true;
  }

  /** The stream node:http is to read: `source` (the socket, or the TLS socket over it) one request at a time. */
  readBy(source: Socket, encrypted: boolean): Duplex {
    this.stage = "http";
    this.encrypted = encrypted;
    this.meter = new RequestMeter(source, this.now);
    return this.meter;
  }

  /** node:http started a request. */
  requestStarted(): void {
    this.requests++;
    this.answerSinceMs = this.now();
    this.meter?.hold();
  }

  /** The answer to the request in progress is complete (or abandoned): the next one may be read. */
  answered(): void {
    if (this.answerSinceMs === undefined) return;
    this.answerSinceMs = undefined;
    this.lastAnswerMs = this.now();
    this.meter?.release();
  }

  /** Since when the connection waits for its client to begin or complete a request head (or a handshake); undefined when it does not. */
  waitingForHeadSinceMs(): number | undefined {
    if (!this.meter) return this.openedAtMs;
    if (this.answerSinceMs !== undefined) return undefined;
    return this.fresh ? (this.meter.headSinceMs ?? this.openedAtMs) : this.meter.headSinceMs;
  }

  /** Gives up on a client too slow to send its request: 408, then the close (at once during a handshake). */
  timeOut(): void {
    if (this.stage === "handshake") return this.close();
    const out = this.meter?.source ?? this.socket;
    out.end("HTTP/1.1 408 Request Timeout\r\nConnection: close\r\nContent-Length: 0\r\n\r\n", () => this.close());
    this.socket.setTimeout(1000, () => this.close());
  }

  close(): void {
    this.meter?.destroy();
    this.socket.destroy();
  }
}

/**
 * What node:http reads of a connection: the client's bytes, up to the end of one request head at a
 * time. node:http parses a whole read (up to 64 KiB) at once and starts every request in it, so
 * thousands of pipelined requests that are never read would each become a request and a queued
 * answer (measured: 10 connections of 5,000 unread requests take 170 MiB on Node 20, 240 on
 * Node 24). Here the next head waits until the answer before it is written, and a connection that
 * sends more than MAX_HELD_BYTES meanwhile is closed. Answers go to the socket as they are written.
 */
class RequestMeter extends Duplex {
  /** reading: bytes go on, up to the end of a head; parsing: a head went on, no request started yet; answering: one did. */
  private phase: "reading" | "parsing" | "answering" = "reading";
  private held: Buffer = EMPTY;
  private carry: Buffer = EMPTY;
  /** When the first bytes of a request head not yet complete arrived; undefined while none is. */
  headSinceMs: number | undefined;

  constructor(
    readonly source: Socket,
    private readonly now: () => number,
  ) {
    // Strings (node:http writes each answer's head as one) go to the socket as they are, which writes them without a copy.
    super({ allowHalfOpen: false, decodeStrings: false });
    source.on("data", (chunk: Buffer) => this.arrived(chunk));
    source.on("end", () => this.push(null));
    source.on("error", (error) => this.destroy(error));
    source.on("close", () => this.destroy());
    source.resume();
  }

  /** A request started: what follows it waits for its answer. */
  hold(): void {
    this.phase = "answering";
  }

  /** The answer is written: the next request head goes on. */
  release(): void {
    if (this.phase !== "answering") return;
    this.phase = "reading";
    this.handOn();
  }

  private arrived(chunk: Buffer): void {
    this.held = this.held.length === 0 ? chunk : Buffer.concat([this.held, chunk]);
    if (this.phase !== "reading" && this.held.length > MAX_HELD_BYTES) {
      this.destroy();
      return;
    }
    this.handOn();
  }

  private handOn(): void {
    if (this.phase === "reading" && this.held.length > 0) {
      const end = headEnd(this.carry, this.held);
      // Without a complete head, everything goes on: node:http bounds a head's size and time itself.
      const part = end === -1 ? this.held : this.held.subarray(0, end);
      this.held = end === -1 ? EMPTY : this.held.subarray(end);
      this.carry = end === -1 ? tail(this.carry, part) : EMPTY;
      if (end === -1) this.headSinceMs ??= this.now();
      else {
        this.headSinceMs = undefined;
        this.phase = "parsing";
      }
      this.push(part);
      // node:http has parsed the head once it left the buffer (at once when flowing, else on the
      // next turn): if it started no request of it (it waits for more, or failed), read on.
      if (this.phase === "parsing") {
        if (this.readableLength === 0) this.readOn();
        else setImmediate(() => this.readOn());
      }
    }
    // Read on only while nothing waits: what is held is what the client sent too early.
    if (this.held.length > 0) this.source.pause();
    else this.source.resume();
  }

  private readOn(): void {
    if (this.phase !== "parsing") return;
    this.phase = "reading";
    this.handOn();
  }

  override _read(): void {}

  override _write(chunk: Buffer | string, encoding: BufferEncoding, done: (error?: Error | null) => void): void {
    if (this.source.write(chunk, encoding)) done();
    else this.source.once("drain", () => done());
  }

  override _writev(chunks: { chunk: Buffer | string; encoding: BufferEncoding }[], done: (error?: Error | null) => void): void {
    // An answer's head and body go out in one system call.
    this.source.cork();
    let ok = true;
    for (const { chunk, encoding } of chunks) ok = this.source.write(chunk, encoding);
    this.source.uncork();
    if (ok) done();
    else this.source.once("drain", () => done());
  }

  override _final(done: (error?: Error | null) => void): void {
    this.source.end();
    done();
  }

  override _destroy(error: Error | null, done: (error?: Error | null) => void): void {
    this.source.destroy();
    done(error);
  }
}

/** The last two bytes of what came before and `part`, for finding a head's end split across reads. */
function tail(before: Buffer, part: Buffer): Buffer {
  if (part.length >= 2) return Buffer.from(part.subarray(part.length - 2));
  return Buffer.concat([before, part]).subarray(-2);
}
