/**
 * Structural validation of OCI documents (config.json, state, features)
 * against carton's schemas in schemas/.
 *
 * The schemas are compiled ahead of time by scripts/build-validators.mjs into
 * src/generated/validators.js, so this module never loads ajv: compiling the
 * config schema at run time costs ~90 ms per invocation, the generated code
 * ~6 ms including the first validation.
 *
 * Errors are reported as one line naming the file, the JSON pointer and the
 * rule, e.g. `config.json: /process/args must be array`, because that is what
 * ends up in runc-compatible `--log` output and in callers' error strings.
 */
import { CartonError } from '../errors';

import { parseExact } from './exact-json';

/** Subset of ajv's ErrorObject that the generated code produces. */
interface ValidationError {
  instancePath: string;
  schemaPath: string;
  keyword: string;
  params: Record<string, unknown>;
  propertyName?: string;
  message?: string;
}

interface Validator {
  (data: unknown): boolean;
  errors?: ValidationError[] | null;
}

interface Generated {
  validateConfig: Validator;
  validateState: Validator;
  validateFeatures: Validator;
  validateResources: Validator;
  validateProcess: Validator;
  patternHints: Readonly<Record<string, string>>;
}

/** A config/state/features document that cannot be used, with where and why. */
export class ConfigError extends CartonError {
  /** JSON pointer of the offending value ('' is the whole document, also used for JSON syntax errors). */
  readonly path: string;
  /** File name the message is prefixed with, e.g. 'config.json'. */
  readonly file: string;

  constructor(message: string, file: string, path: string) {
    super(message, { kind: 'invalid-config', field: path });
    this.name = 'ConfigError';
    this.file = file;
    this.path = path;
  }
}

let generated: Generated | undefined;

// Loaded on first use so commands that never validate pay nothing. A plain
// require() (not `import`) because src/generated/ is produced by the build and
// `tsc --noEmit` runs before it in `npm run build:ts`; esbuild still bundles it.
function load(): Generated {
  if (generated) return generated;
  try {
    generated = require('../generated/validators') as Generated;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'MODULE_NOT_FOUND') {
      throw new CartonError('schema validators are not built: run `npm run build:schemas`', {
        kind: 'internal',
        cause: err,
      });
    }
    throw err;
  }
  return generated;
}

/** JSON.parse (integers above 2^53 kept exact: spec/exact-json.ts) with a one-line, file-prefixed error. */
export function parseConfig(text: string, file = 'config.json'): unknown {
  try {
    return parseExact(text);
  } catch (err) {
    const reason = oneLine(err instanceof Error ? err.message : String(err));
    throw new ConfigError(`${file}: invalid JSON: ${reason}${lineColumn(text, reason)}`, file, '');
  }
}

/** Throws ConfigError unless `obj` is a valid runtime-spec v1.3.0 config for Linux. */
export function validateConfig(obj: unknown, file = 'config.json'): void {
  check(load().validateConfig, obj, file);
}

/** Throws ConfigError unless `obj` is a valid container state (runtime.md, plus runc's extras). */
export function validateState(obj: unknown, file = 'state.json'): void {
  check(load().validateState, obj, file);
}

/** Throws ConfigError unless `obj` is a valid features structure (features.md). */
export function validateFeatures(obj: unknown, file = 'features.json'): void {
  check(load().validateFeatures, obj, file);
}

/** Throws ConfigError unless `obj` is a valid linux.resources object (as taken by `update --resources`). */
export function validateResources(obj: unknown, file = 'resources.json'): void {
  check(load().validateResources, obj, file);
}

/** Throws ConfigError unless `obj` is a valid process object (as taken by `exec --process`). */
export function validateProcess(obj: unknown, file = 'process.json'): void {
  check(load().validateProcess, obj, file);
}

function check(validate: Validator, obj: unknown, file: string): void {
  if (validate(obj)) return;
  const errors = validate.errors ?? [];
  // allErrors is off, so there is one real error; wrappers (`if`, and
  // `propertyNames` after its cause) only restate it less precisely.
  const err = errors.find((e) => e.keyword !== 'if' && e.keyword !== 'propertyNames') ?? errors[0];
  if (!err) throw new ConfigError(`${file}: / is invalid`, file, '');
  const path = err.instancePath;
  throw new ConfigError(`${file}: ${path || '/'} ${describe(err, obj)}`, file, path);
}

function describe(err: ValidationError, root: unknown): string {
  if (err.propertyName !== undefined) {
    return `has an invalid property name ${JSON.stringify(err.propertyName)}: ${err.message ?? err.keyword}`;
  }
  const p = err.params;
  switch (err.keyword) {
    case 'enum':
      return `must be equal to one of the allowed values: ${(p.allowedValues as unknown[]).map(show).join(', ')}`;
    case 'additionalProperties':
      return `must NOT have additional property '${String(p.additionalProperty)}'`;
    case 'type':
      return `must be ${Array.isArray(p.type) ? p.type.join(' or ') : String(p.type)}`;
    case 'pattern': {
      const hint = load().patternHints[p.pattern as string];
      const got = clip(JSON.stringify(valueAt(root, err.instancePath)));
      return `${hint ?? `must match pattern ${JSON.stringify(p.pattern)}`}, got ${got}`;
    }
    default:
      return err.message ?? `must pass "${err.keyword}"`;
  }
}

function show(v: unknown): string {
  return typeof v === 'string' ? v : JSON.stringify(v);
}

function clip(s: string): string {
  return s.length > 80 ? `${s.slice(0, 76)}...` : s;
}

/** Resolves an RFC 6901 JSON pointer as produced by ajv ('' is the root). */
function valueAt(root: unknown, pointer: string): unknown {
  let cur: unknown = root;
  for (const raw of pointer.split('/').slice(1)) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string, unknown>)[raw.replace(/~1/g, '/').replace(/~0/g, '~')];
  }
  return cur;
}

function oneLine(s: string): string {
  return s.replace(/\s+/g, ' ').trim();
}

/** V8 reports byte offsets ("at position 123"); people want line and column. */
function lineColumn(text: string, reason: string): string {
  const m = /at position (\d+)/.exec(reason);
  if (!m || /\(line \d+ column \d+\)/.test(reason)) return '';
  const pos = Number(m[1]);
  const before = text.slice(0, pos);
  const line = before.split('\n').length;
  const column = pos - before.lastIndexOf('\n');
  return ` (line ${line} column ${column})`;
}
