// The D-Bus wire format, as much of it as the systemd driver uses: little-
// endian messages whose header and body are marshalled by type signature
// (D-Bus specification, "Message Protocol"). Values are plain JS: numbers
// (bigint for 't'/'x'), strings, booleans, arrays for 'a' and structs, and
// [signature, value] pairs for variants.
import { CartonError } from '../../errors';

export type Value = number | bigint | string | boolean | Value[] | Variant;
export type Variant = { sig: string; value: Value };

export enum MsgType {
  METHOD_CALL = 1,
  METHOD_RETURN = 2,
  ERROR = 3,
  SIGNAL = 4,
}

/** A D-Bus message carton cannot encode or systemd sent malformed. */
export class WireError extends CartonError {
  constructor(message: string) {
    super(message, { kind: 'failed' });
    this.name = 'WireError';
  }
}

const ALIGN: Record<string, number> = {
  y: 1,
  b: 4,
  n: 2,
  q: 2,
  i: 4,
  u: 4,
  x: 8,
  t: 8,
  d: 8,
  s: 4,
  o: 4,
  g: 1,
  a: 4,
  '(': 8,
  '{': 8,
  v: 1,
  h: 4,
};

/** The alignment of the type that `sig` starts with. */
function alignOf(sig: string): number {
  const n = ALIGN[sig[0] ?? ''];
  if (n === undefined) throw new WireError(`unsupported type "${sig[0] ?? ''}" in signature "${sig}"`);
  return n;
}

/** A string-typed value ('s', 'o', 'g'): anything else is the caller's mistake. */
function str(v: Value, sig: string): string {
  if (typeof v !== 'string') throw new WireError(`a ${typeof v} given for type "${sig}"`);
  return v;
}

/** The i-th value a struct or message body needs, which the caller must have given. */
function nth(vals: Value[], i: number, sig: string): Value {
  const v = vals[i];
  if (v === undefined) throw new WireError(`missing value ${i} for signature "${sig}"`);
  return v;
}

/** Splits a signature into its complete types: "sa(sv)u" -> ["s", "a(sv)", "u"]. */
export function splitSig(sig: string): string[] {
  const out: string[] = [];
  for (let i = 0; i < sig.length;) {
    const end = typeEnd(sig, i);
    out.push(sig.slice(i, end));
    i = end;
  }
  return out;
}

function typeEnd(sig: string, i: number): number {
  const c = sig[i];
  if (c === 'a') return typeEnd(sig, i + 1);
  if (c === '(' || c === '{') {
    const close = c === '(' ? ')' : '}';
    let j = i + 1;
    while (sig[j] !== close) {
      if (j >= sig.length) throw new WireError(`bad signature "${sig}"`);
      j = typeEnd(sig, j);
    }
    return j + 1;
  }
  alignOf(sig.slice(i));
  return i + 1;
}

export class Writer {
  private buf = Buffer.alloc(256);
  len = 0;

  private room(n: number): void {
    if (this.len + n <= this.buf.length) return;
    const b = Buffer.alloc(Math.max(this.buf.length * 2, this.len + n));
    this.buf.copy(b, 0, 0, this.len);
    this.buf = b;
  }

  align(n: number): void {
    const pad = (n - (this.len % n)) % n;
    this.room(pad);
    this.buf.fill(0, this.len, this.len + pad);
    this.len += pad;
  }

  private u32At(off: number, v: number): void {
    this.buf.writeUInt32LE(v, off);
  }

  write(sig: string, v: Value): void {
    const c = sig[0];
    this.align(alignOf(sig));
    switch (c) {
      case 'y':
        this.room(1);
        this.buf.writeUInt8(Number(v), this.len++);
        return;
      case 'b':
      case 'u':
      case 'h':
        this.room(4);
        this.u32At(this.len, c === 'b' ? (v ? 1 : 0) : Number(v));
        this.len += 4;
        return;
      case 'i':
        this.room(4);
        this.buf.writeInt32LE(Number(v), this.len);
        this.len += 4;
        return;
      case 'n':
      case 'q':
        this.room(2);
        if (c === 'n') this.buf.writeInt16LE(Number(v), this.len);
        else this.buf.writeUInt16LE(Number(v), this.len);
        this.len += 2;
        return;
      case 'd':
        this.room(8);
        this.buf.writeDoubleLE(Number(v), this.len);
        this.len += 8;
        return;
      case 't':
      case 'x':
        this.room(8);
        if (c === 't') this.buf.writeBigUInt64LE(BigInt(v as number | bigint), this.len);
        else this.buf.writeBigInt64LE(BigInt(v as number | bigint), this.len);
        this.len += 8;
        return;
      case 's':
      case 'o': {
        const b = Buffer.from(str(v, sig));
        this.room(5 + b.length);
        this.u32At(this.len, b.length);
        b.copy(this.buf, this.len + 4);
        this.buf[this.len + 4 + b.length] = 0;
        this.len += 5 + b.length;
        return;
      }
      case 'g': {
        const b = Buffer.from(str(v, sig));
        this.room(2 + b.length);
        this.buf[this.len] = b.length;
        b.copy(this.buf, this.len + 1);
        this.buf[this.len + 1 + b.length] = 0;
        this.len += 2 + b.length;
        return;
      }
      case 'v': {
        const vv = v as Variant;
        this.write('g', vv.sig);
        this.write(vv.sig, vv.value);
        return;
      }
      case 'a': {
        const elem = sig.slice(1, typeEnd(sig, 1));
        this.room(4);
        const at = this.len;
        this.len += 4;
        // The length excludes the padding before the first element.
        this.align(alignOf(elem));
        const start = this.len;
        for (const e of v as Value[]) this.write(elem, e);
        this.u32At(at, this.len - start);
        return;
      }
      case '(':
      case '{': {
        const fields = splitSig(sig.slice(1, sig.length - 1));
        const vals = v as Value[];
        fields.forEach((f, i) => this.write(f, nth(vals, i, sig)));
        return;
      }
      default:
        throw new WireError(`cannot marshal type "${c}"`);
    }
  }

  bytes(): Buffer {
    return this.buf.subarray(0, this.len);
  }
}

export class Reader {
  pos = 0;
  constructor(private readonly buf: Buffer) {}

  private need(n: number): void {
    if (this.pos + n > this.buf.length) throw new WireError('truncated D-Bus message');
  }

  align(n: number): void {
    this.pos += (n - (this.pos % n)) % n;
  }

  read(sig: string): Value {
    const c = sig[0];
    this.align(alignOf(sig));
    switch (c) {
      case 'y':
        this.need(1);
        return this.buf.readUInt8(this.pos++);
      case 'b':
      case 'u':
      case 'h': {
        this.need(4);
        const n = this.buf.readUInt32LE(this.pos);
        this.pos += 4;
        return c === 'b' ? n !== 0 : n;
      }
      case 'i': {
        this.need(4);
        const n = this.buf.readInt32LE(this.pos);
        this.pos += 4;
        return n;
      }
      case 'n':
      case 'q': {
        this.need(2);
        const n = c === 'n' ? this.buf.readInt16LE(this.pos) : this.buf.readUInt16LE(this.pos);
        this.pos += 2;
        return n;
      }
      case 'd': {
        this.need(8);
        const n = this.buf.readDoubleLE(this.pos);
        this.pos += 8;
        return n;
      }
      case 't':
      case 'x': {
        this.need(8);
        const n = c === 't' ? this.buf.readBigUInt64LE(this.pos) : this.buf.readBigInt64LE(this.pos);
        this.pos += 8;
        return n;
      }
      case 's':
      case 'o': {
        this.need(4);
        const n = this.buf.readUInt32LE(this.pos);
        this.need(5 + n);
        const s = this.buf.toString('utf8', this.pos + 4, this.pos + 4 + n);
        this.pos += 5 + n;
        return s;
      }
      case 'g': {
        this.need(1);
        const n = this.buf.readUInt8(this.pos);
        this.need(2 + n);
        const s = this.buf.toString('utf8', this.pos + 1, this.pos + 1 + n);
        this.pos += 2 + n;
        return s;
      }
      case 'v': {
        const vs = this.read('g') as string;
        return { sig: vs, value: this.read(vs) };
      }
      case 'a': {
        const elem = sig.slice(1, typeEnd(sig, 1));
        this.need(4);
        const n = this.buf.readUInt32LE(this.pos);
        this.pos += 4;
        this.align(alignOf(elem));
        const end = this.pos + n;
        this.need(n);
        const out: Value[] = [];
        while (this.pos < end) out.push(this.read(elem));
        return out;
      }
      case '(':
      case '{':
        return splitSig(sig.slice(1, sig.length - 1)).map((f) => this.read(f));
      default:
        throw new WireError(`cannot unmarshal type "${c}"`);
    }
  }
}

export enum Field {
  PATH = 1,
  INTERFACE = 2,
  MEMBER = 3,
  ERROR_NAME = 4,
  REPLY_SERIAL = 5,
  DESTINATION = 6,
  SENDER = 7,
  SIGNATURE = 8,
}

export interface Message {
  type: MsgType;
  serial: number;
  fields: Partial<Record<Field, Value>>;
  /** decoded on first use: a subscriber receives every unit's PropertiesChanged and reads almost none */
  readonly body: Value[];
}

const FIELD_SIG: Record<number, string> = { 1: 'o', 2: 's', 3: 's', 4: 's', 5: 'u', 6: 's', 7: 's', 8: 'g' };

export function encodeMessage(m: {
  type: MsgType;
  serial: number;
  fields: Partial<Record<Field, Value>>;
  sig: string;
  body: Value[];
}): Buffer {
  const body = new Writer();
  splitSig(m.sig).forEach((t, i) => body.write(t, nth(m.body, i, m.sig)));
  const fields: Value[] = Object.entries(m.fields).map(([k, v]) => [
    Number(k),
    { sig: FIELD_SIG[Number(k)] ?? 'v', value: v },
  ]);
  if (m.sig) fields.push([Field.SIGNATURE, { sig: 'g', value: m.sig }]);
  const w = new Writer();
  w.write('y', 'l'.charCodeAt(0));
  w.write('y', m.type);
  w.write('y', 0);
  w.write('y', 1);
  w.write('u', body.len);
  w.write('u', m.serial);
  w.write('a(yv)', fields);
  w.align(8);
  return Buffer.concat([w.bytes(), body.bytes()]);
}

/** The size of the message at the start of `buf`, or 0 if its fixed header is not all there yet. */
export function messageSize(buf: Buffer): number {
  if (buf.length < 16) return 0;
  if (buf[0] !== 'l'.charCodeAt(0)) throw new WireError('big-endian D-Bus messages are not supported');
  const fieldsLen = buf.readUInt32LE(12);
  const head = 16 + fieldsLen + ((8 - ((16 + fieldsLen) % 8)) % 8);
  return head + buf.readUInt32LE(4);
}

export function decodeMessage(buf: Buffer): Message {
  const r = new Reader(buf);
  r.pos = 1;
  const type = r.read('y') as MsgType;
  r.pos = 8;
  const serial = r.read('u') as number;
  const fields: Partial<Record<Field, Value>> = {};
  for (const f of r.read('a(yv)') as Value[][]) fields[f[0] as Field] = (f[1] as Variant).value;
  r.align(8);
  const sig = (fields[Field.SIGNATURE] as string | undefined) ?? '';
  let body: Value[] | undefined;
  return {
    type,
    serial,
    fields,
    get body() {
      return (body ??= splitSig(sig).map((t) => r.read(t)));
    },
  };
}
