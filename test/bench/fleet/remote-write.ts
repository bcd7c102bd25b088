// Prometheus remote write 1.0, the request a Prometheus agent sends: a protobuf WriteRequest
// (repeated TimeSeries of labels and samples), snappy-compressed. The snappy stream here is
// made of literals only, which every snappy decoder accepts: on 127.0.0.1 the bytes saved are
// not worth the time to compress them.

/** One series and its samples, in time order. */
export interface Series {
  /** Label pairs, __name__ included, sorted by name. */
  readonly labels: readonly (readonly [string, string])[];
  readonly timestamps: readonly number[]; // milliseconds
  readonly values: readonly number[];
}

/** Prometheus's staleness marker: a NaN with this bit pattern ends a series. */
export const STALE_NAN = new Float64Array(new BigUint64Array([0x7ff0000000000002n]).buffer)[0]!;

class Writer {
  private buf = Buffer.allocUnsafe(1 << 20);
  pos = 0;

  private ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    const bigger = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.pos + n));
    this.buf.copy(bigger, 0, 0, this.pos);
    this.buf = bigger;
  }

  varint(v: number): void {
    this.ensure(10);
    while (v >= 0x80) {
      this.buf[this.pos++] = (v % 0x80) | 0x80;
      v = Math.floor(v / 0x80);
    }
    this.buf[this.pos++] = v;
  }

  byte(b: number): void {
    this.ensure(1);
    this.buf[this.pos++] = b;
  }

  double(v: number): void {
    this.ensure(8);
    this.buf.writeDoubleLE(v, this.pos);
    this.pos += 8;
  }

  bytes(b: Uint8Array): void {
    this.ensure(b.length);
    this.buf.set(b, this.pos);
    this.pos += b.length;
  }

  /** Writes a length-delimited field whose body `body` writes, patching the length afterwards. */
  message(tag: number, body: () => void): void {
    this.byte(tag);
    // Reserve 5 bytes for the length varint, then move the body if the length is shorter.
    this.ensure(5);
    const lenPos = this.pos;
    this.pos += 5;
    const start = this.pos;
    body();
    const len = this.pos - start;
    const lenBytes = varintLength(len);
    if (lenBytes < 5) this.buf.copy(this.buf, lenPos + lenBytes, start, this.pos);
    let p = lenPos;
    let v = len;
    while (v >= 0x80) {
      this.buf[p++] = (v % 0x80) | 0x80;
      v = Math.floor(v / 0x80);
    }
    this.buf[p] = v;
    this.pos = lenPos + lenBytes + len;
  }

  result(): Buffer {
    return this.buf.subarray(0, this.pos);
  }
}

function varintLength(v: number): number {
  let n = 1;
  while (v >= 0x80) {
    v = Math.floor(v / 0x80);
    n++;
  }
  return n;
}

const utf8 = new TextEncoder();

/** The protobuf WriteRequest for these series. */
export function encodeWriteRequest(series: Iterable<Series>): Buffer {
  const w = new Writer();
  for (const s of series) {
    w.message(0x0a, () => {
      for (const [name, value] of s.labels) {
        w.message(0x0a, () => {
          const n = utf8.encode(name);
          const v = utf8.encode(value);
          w.byte(0x0a);
          w.varint(n.length);
          w.bytes(n);
          w.byte(0x12);
          w.varint(v.length);
          w.bytes(v);
        });
      }
      // Samples are short (under 128 bytes): their length fits one byte, written up front.
      for (let i = 0; i < s.timestamps.length; i++) {
        const ts = s.timestamps[i]!;
        w.byte(0x12);
        w.byte(1 + 8 + 1 + varintLength(ts));
        w.byte(0x09);
        w.double(s.values[i]!);
        w.byte(0x10);
        w.varint(ts);
      }
    });
  }
  return w.result();
}

/** Snappy block format with literals only: the uncompressed length, then chunks of at most 64 KiB. */
export function snappyLiterals(raw: Buffer): Buffer {
  const chunks = Math.ceil(raw.length / 65536);
  const out = Buffer.allocUnsafe(raw.length + 3 * chunks + 10);
  let p = 0;
  let v = raw.length;
  while (v >= 0x80) {
    out[p++] = (v % 0x80) | 0x80;
    v = Math.floor(v / 0x80);
  }
  out[p++] = v;
  for (let off = 0; off < raw.length; off += 65536) {
    const n = Math.min(65536, raw.length - off);
    out[p++] = 61 << 2; // a literal whose length - 1 follows in two bytes
    out.writeUInt16LE(n - 1, p);
    p += 2;
    raw.copy(out, p, off, off + n);
    p += n;
  }
  return out.subarray(0, p);
}

/** POSTs the series to a Prometheus remote-write endpoint; throws with Prometheus's answer on failure. */
export async function remoteWrite(url: string, series: Iterable<Series>): Promise<void> {
  const body = snappyLiterals(encodeWriteRequest(series));
  const res = await fetch(url, {
    method: "POST",
    body,
    headers: { "Content-Encoding": "snappy", "Content-Type": "application/x-protobuf", "X-Prometheus-Remote-Write-Version": "0.1.0" },
  });
  if (!res.ok) throw new Error(`remote write to ${url}: ${res.status} ${await res.text()}`);
}
