// carton's one error type: kind, field, cause, exit code, and the shim's
// gRPC code taken from the kind alone (never from the message).
import t from 'tap';
import { CartonError, NotExistError, UsageError, isKind, kindOf } from '../../src/errors';
import { toShimError } from '../../src/shim/task/errors';
import { Code, ShimError } from '../../src/shim/types';
import { ConfigError } from '../../src/spec/validate';
import { parseFlags } from '../../src/shim/flags';

t.test('kind, field, cause and exit code', async (t) => {
  const cause = Object.assign(new Error('ENOENT: no such file or directory'), { code: 'ENOENT' });
  const e = new CartonError('open /x: no such file or directory', { cause });
  t.equal(e.kind, 'not-found', 'the kind comes from the cause when not given');
  t.equal(e.cause, cause, 'the cause is kept');
  t.equal(e.exitCode, 1, "runc's fatal() exits 1");
  t.equal(new CartonError('exec failed: x', { cause: e, exitCode: 255 }).exitCode, 255, "exec's 255 is the command's");
  const c = new ConfigError('config.json: /process/args must be array', 'config.json', '/process/args');
  t.equal(c.kind, 'invalid-config');
  t.equal(c.field, '/process/args', 'the JSON path travels with the error');
  t.ok(isKind(new NotExistError('c1'), 'not-found'));
  t.equal(new UsageError('"state" requires exactly 1 argument(s)').kind, 'usage');
  t.equal(kindOf(new Error('plain')), undefined, 'a plain Error has no kind');
  try {
    parseFlags(['-bogus']);
    t.fail('parseFlags accepted -bogus');
  } catch (e) {
    t.match(e, { kind: 'usage', exitCode: 2 }, "the shim's flag errors exit 2, as Go's flag package");
  }
});

t.test('the shim maps kinds to gRPC codes, whatever the wording', async (t) => {
  const code = (e: unknown) => toShimError(e).code;
  t.equal(code(new NotExistError('c1')), Code.NOT_FOUND);
  t.equal(toShimError(new NotExistError('c1')).message, 'container c1: container does not exist');
  t.equal(code(new CartonError('anything at all', { kind: 'exists' })), Code.ALREADY_EXISTS);
  t.equal(code(new CartonError('container not running', { kind: 'bad-state' })), Code.FAILED_PRECONDITION);
  t.equal(
    code(new CartonError('container not running')),
    Code.UNKNOWN,
    'the same text without the kind is not a precondition',
  );
  t.equal(code(new ConfigError('config.json: bad', 'config.json', '')), Code.INVALID_ARGUMENT);
  t.equal(code(new CartonError('x', { kind: 'unsupported' })), Code.UNIMPLEMENTED);
  t.equal(code(new CartonError('x', { kind: 'host-lacks' })), Code.FAILED_PRECONDITION);
  t.equal(code(new CartonError('x', { kind: 'timeout' })), Code.DEADLINE_EXCEEDED);
  t.equal(code(new CartonError('x', { kind: 'denied' })), Code.PERMISSION_DENIED);
  t.equal(code(new Error('a bug')), Code.INTERNAL, 'anything else is a bug');
  const s = new ShimError(Code.NOT_FOUND, 'gone');
  t.equal(toShimError(s), s, 'a ShimError passes through');
  t.equal(s.kind, 'not-found', 'and has the kind of its code');
});
