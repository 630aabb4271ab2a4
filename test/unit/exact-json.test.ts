// spec/exact-json: integers above 2^53 keep their exact value next to
// JSON.parse's result, and are written back as they were.
import t from 'tap';
import { exactInteger, literalInteger, parseExact, stringifyExact } from '../../src/spec/exact-json';

t.test('literalInteger: the exact integer a JSON literal denotes', async (t) => {
  t.equal(literalInteger('18446744073709551615'), 18446744073709551615n);
  t.equal(literalInteger('-9007199254740993'), -9007199254740993n);
  t.equal(literalInteger('1.8446744073709551615e19'), 18446744073709551615n);
  t.equal(literalInteger('123456789012345e4'), 1234567890123450000n);
  t.equal(literalInteger('100e-2'), 1n);
  t.equal(literalInteger('0.000'), 0n);
  t.equal(literalInteger('1.5'), undefined);
  t.equal(literalInteger('1e400'), undefined, 'absurd exponents are not expanded');
});

t.test('parseExact records what a double loses, where it landed', async (t) => {
  const text =
    '{"s": "18446744073709551615 in a string, \\"quoted\\" [{", "a": [1, {"v": 18446744073709551615, "w": 9007199254740993}, [], {}, 2e0],\n "n": null, "b": true, "x": 5}';
  const o = parseExact(text) as { a: [number, { v: number; w: number }]; x: number };
  t.same(o, JSON.parse(text), 'the same value as JSON.parse');
  t.equal(exactInteger(o.a[1], 'v'), 18446744073709551615n);
  t.equal(exactInteger(o.a[1], 'w'), 9007199254740993n);
  t.equal(exactInteger(o, 'x'), 5n, 'small integers come from the number');
  t.equal(exactInteger(o, 's'), undefined, 'not a number');
  o.a[1].v = 7;
  t.equal(exactInteger(o.a[1], 'v'), 7n, 'an edited slot is not misread');
});

t.test('duplicate keys: the last one wins, as in JSON.parse', async (t) => {
  const o = parseExact('{"v": 18446744073709551615, "v": 18446744073709551614}') as object;
  t.equal(exactInteger(o, 'v'), 18446744073709551614n);
  const p = parseExact('{"v": 18446744073709551615, "v": 3}') as object;
  t.equal(exactInteger(p, 'v'), 3n);
  const q = parseExact('{"a": {"v": 18446744073709551615}, "a": {"v": 18446744073709551614}}') as { a: object };
  t.equal(exactInteger(q.a, 'v'), 18446744073709551614n);
});

t.test('stringifyExact writes the exact literals back', async (t) => {
  const text = '{"args":[{"value":18446744073709551615,"valueTwo":9007199254740993,"s":"x"}],"k":1}';
  t.equal(stringifyExact(parseExact(text)), text);
  t.equal(stringifyExact({ a: 1 }), '{"a":1}', 'documents without records are plain JSON.stringify');
});
