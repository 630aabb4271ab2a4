// JSON with exact integers. JSON.parse turns every number into a double, so
// a uint64 such as a seccomp argument value (up to 2^64-1) loses its low
// bits above 2^53. Node 20's JSON.parse does not give a reviver the source
// text of a number (proposal-json-parse-with-source ships later), so:
// JSON.parse stays the parser (its errors, its duplicate-key rule: the last
// wins), and when the text can hold such a number at all, a second pass over
// the (already valid) text records the exact value of every integer literal
// a double cannot hold, keyed by the parsed object and key it landed in. A
// record is used only while that slot still holds the double the literal
// parsed to, so an edited or duplicate-overwritten slot is never misread.
import { randomBytes } from 'crypto';

const exact = new WeakMap<object, Map<string, bigint>>();
/** Parsed documents that have at least one record (stringifyExact's fast path). */
const withRecords = new WeakSet<object>();

type Holder = Record<string, unknown>;

function isObj(v: unknown): v is Holder {
  return typeof v === 'object' && v !== null;
}

/** The exact integer a JSON number literal denotes, or undefined if it is not an integer. */
export function literalInteger(lit: string): bigint | undefined {
  const m = /^(-?)(\d+)(?:\.(\d+))?(?:[eE]([+-]?\d+))?$/.exec(lit);
  if (!m) return undefined;
  let digits = (m[2] + (m[3] ?? '')).replace(/^0+(?=\d)/, '');
  let exp = Number(m[4] ?? 0) - (m[3]?.length ?? 0);
  if (exp < 0) {
    const zeros = /0*$/.exec(digits)![0].length;
    if (zeros < -exp) return /^0+$/.test(digits) ? 0n : undefined;
    digits = digits.slice(0, digits.length + exp) || '0';
    exp = 0;
  }
  if (digits.length + exp > 64) return undefined; // far beyond any field read exactly (and 10n ** huge is costly)
  const n = BigInt(digits) * 10n ** BigInt(exp);
  return m[1] ? -n : n;
}

function note(holder: unknown, key: string, lit: string, root: object): void {
  if (!isObj(holder) || typeof holder[key] !== 'number') return;
  const v = holder[key];
  const n = literalInteger(lit);
  let m = exact.get(holder);
  // A later duplicate key overwrites an earlier record, as JSON.parse's value does.
  if (n === undefined || Number.isSafeInteger(v) || Number(lit) !== v) {
    m?.delete(key);
    return;
  }
  if (!m) exact.set(holder, (m = new Map<string, bigint>()));
  m.set(key, n);
  withRecords.add(root);
}

const WS = /[ \t\n\r]*/y;
const STR = /"(?:[^"\\]|\\.)*"/y;
const NUM = /-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?/y;
const WORD = /[a-z]+/y;

/** Walks valid JSON text beside its parsed value (iteratively: nesting depth is the document's). */
function record(text: string, root: unknown): void {
  if (!isObj(root)) return;
  let i = 0;
  const skip = (re: RegExp): string => {
    re.lastIndex = i;
    const m = re.exec(text);
    i = re.lastIndex;
    return m ? m[0] : '';
  };
  const readKey = (): string => {
    skip(WS);
    const k = JSON.parse(skip(STR)) as string;
    skip(WS);
    i++; // ':'
    return k;
  };
  const frames: Array<{ v: unknown; arr: boolean; n: number }> = [];
  let holder: unknown = { '': root };
  let key = '';
  for (;;) {
    skip(WS);
    const c = text[i] ?? '';
    if (c === '{' || c === '[') {
      i++;
      const arr = c === '[';
      const slot = isObj(holder) ? holder[key] : undefined;
      const v = isObj(slot) && Array.isArray(slot) === arr ? slot : undefined;
      skip(WS);
      if (text[i] !== (arr ? ']' : '}')) {
        frames.push({ v, arr, n: 0 });
        holder = v;
        key = arr ? '0' : readKey();
        continue;
      }
      i++;
    } else if (c === '"') skip(STR);
    else if (c >= 'a' && c <= 'z') skip(WORD);
    else note(holder, key, skip(NUM), root);
    // after a value: the next slot of the enclosing container, or its end
    for (;;) {
      const f = frames[frames.length - 1];
      if (!f) return;
      skip(WS);
      if (text[i++] === ',') {
        holder = f.v;
        key = f.arr ? String(++f.n) : readKey();
        break;
      }
      frames.pop();
    }
  }
}

/** JSON.parse, plus the exact value of every integer literal above 2^53 (see exactInteger). */
export function parseExact(text: string): unknown {
  const value: unknown = JSON.parse(text);
  // Only a literal with 16+ digits in a row, or an exponent, can be an
  // integer a double does not hold; most documents have neither.
  if (/\d{16}|\d[eE]/.test(text)) record(text, value);
  return value;
}

/** The integer holder[key] was written as (exact beyond 2^53), or undefined if it is not an integer. */
export function exactInteger(holder: object, key: string): bigint | undefined {
  const v = (holder as Holder)[key];
  if (typeof v !== 'number') return undefined;
  const n = exact.get(holder)?.get(key);
  if (n !== undefined && Number(n) === v) return n;
  return Number.isInteger(v) ? BigInt(v) : undefined;
}

/** JSON.stringify that writes recorded exact integers back as they were (a saved config.json stays exact). */
export function stringifyExact(value: unknown): string {
  if (!isObj(value) || !withRecords.has(value)) return JSON.stringify(value);
  const mark = `exact-${randomBytes(16).toString('hex')}:`;
  const text = JSON.stringify(value, function (this: object, key: string, v: unknown) {
    const n = typeof v === 'number' ? exact.get(this)?.get(key) : undefined;
    return n !== undefined && Number(n) === v ? `${mark}${n}` : v;
  });
  return text.replace(new RegExp(`"${mark}(-?\\d+)"`, 'g'), '$1');
}
