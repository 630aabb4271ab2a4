// The record builder every concern's encoder (src/plan/encode/*.ts) writes
// with: u32/i32/u64/i64 and string pieces, little-endian, in the layouts
// documented beside each tag in src/plan/format.ts.
import { CartonError } from '../../errors';

/** Builds one record's payload from u32/i32/u64/string pieces. */
export class Payload {
  parts: Buffer[] = [];
  u32(v: number): this {
    const b = Buffer.alloc(4);
    b.writeUInt32LE(v >>> 0);
    this.parts.push(b);
    return this;
  }
  i32(v: number): this {
    const b = Buffer.alloc(4);
    b.writeInt32LE(v);
    this.parts.push(b);
    return this;
  }
  u64(v: bigint): this {
    const b = Buffer.alloc(8);
    b.writeBigUInt64LE(BigInt.asUintN(64, v));
    this.parts.push(b);
    return this;
  }
  i64(v: bigint): this {
    const b = Buffer.alloc(8);
    b.writeBigInt64LE(v);
    this.parts.push(b);
    return this;
  }
  /** The rest of the payload. */
  str(s: string, what: string): this {
    const b = Buffer.from(s, 'utf8');
    if (b.includes(0)) throw new CartonError(`${what}: contains a NUL byte`, { kind: 'invalid-config' });
    this.parts.push(b);
    return this;
  }
  /** Binary bytes, the rest of the payload. */
  raw(b: Buffer): this {
    this.parts.push(b);
    return this;
  }
  /** A length-prefixed string. */
  lstr(s: string, what: string): this {
    const b = Buffer.from(s, 'utf8');
    if (b.includes(0)) throw new CartonError(`${what}: contains a NUL byte`, { kind: 'invalid-config' });
    this.u32(b.length);
    this.parts.push(b);
    return this;
  }
}

/** Appends one record (u16 tag | u16 zero | u32 len | payload). */
export type Rec = (tag: number, body?: Payload) => void;

export const P = (): Payload => new Payload();
