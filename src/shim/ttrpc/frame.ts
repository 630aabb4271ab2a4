// ttrpc's framing (github.com/containerd/ttrpc channel.go): a 10-byte
// header, then the payload. Header: uint32 BE payload length, uint32 BE
// stream id, uint8 message type (1 request, 2 response), uint8 flags.
import { CartonError } from '../../errors';
export const HEADER = 10;
export const MAX_MESSAGE = 4 << 20;
export const REQUEST = 1;
export const RESPONSE = 2;

export interface Frame {
  stream: number;
  type: number;
  flags: number;
  payload: Buffer;
  /**
   * The peer announced more than MAX_MESSAGE bytes: the payload was skipped
   * (and is empty) so the connection stays usable, as ttrpc's own reader
   * does; the receiver answers that stream with RESOURCE_EXHAUSTED.
   */
  oversize?: number;
}

export class FrameTooLarge extends CartonError {
  constructor(readonly length: number) {
    super(`ttrpc: message length ${length} exceeds maximum message size of ${MAX_MESSAGE}`, { kind: 'invalid-config' });
    this.name = 'FrameTooLarge';
  }
}

export function encodeFrame(stream: number, type: number, payload: Uint8Array, flags = 0): Buffer {
  if (payload.length > MAX_MESSAGE) throw new FrameTooLarge(payload.length);
  const b = Buffer.allocUnsafe(HEADER + payload.length);
  b.writeUInt32BE(payload.length, 0);
  b.writeUInt32BE(stream, 4);
  b.writeUInt8(type, 8);
  b.writeUInt8(flags, 9);
  b.set(payload, HEADER);
  return b;
}

/** Turns a byte stream cut anywhere (split or coalesced frames) back into frames. */
export class FrameReader {
  private chunks: Buffer[] = [];
  private buffered = 0;
  /** bytes of an oversize payload still to skip */
  private skip = 0;

  push(chunk: Buffer): Frame[] {
    const frames: Frame[] = [];
    if (this.skip) {
      const n = Math.min(this.skip, chunk.length);
      this.skip -= n;
      chunk = chunk.subarray(n);
    }
    if (chunk.length) {
      this.chunks.push(chunk);
      this.buffered += chunk.length;
    }
    for (;;) {
      if (this.skip || this.buffered < HEADER) break;
      const head = this.peek(HEADER);
      const length = head.readUInt32BE(0);
      const stream = head.readUInt32BE(4);
      const type = head.readUInt8(8);
      const flags = head.readUInt8(9);
      if (length > MAX_MESSAGE) {
        this.take(HEADER);
        const n = Math.min(length, this.buffered);
        this.take(n);
        this.skip = length - n;
        frames.push({ stream, type, flags, payload: Buffer.alloc(0), oversize: length });
        continue;
      }
      if (this.buffered < HEADER + length) break;
      this.take(HEADER);
      frames.push({ stream, type, flags, payload: this.take(length) });
    }
    return frames;
  }

  /** The first chunk, made at least n bytes long (callers check `buffered` first). */
  private head(n: number): Buffer {
    let first = this.chunks[0] ?? Buffer.alloc(0);
    if (first.length < n) {
      first = Buffer.concat(this.chunks);
      this.chunks = [first];
    }
    return first;
  }

  private peek(n: number): Buffer {
    return this.head(n).subarray(0, n);
  }

  private take(n: number): Buffer {
    if (n === 0) return Buffer.alloc(0);
    const first = this.head(n);
    const out = first.subarray(0, n);
    if (first.length === n) this.chunks.shift();
    else this.chunks[0] = first.subarray(n);
    this.buffered -= n;
    return out;
  }
}
