// carton's one error type. Every error the CLI prints is one line that names
// the field, path or container it is about; its `kind` says what went wrong
// in a way callers can act on without reading the text (the shim turns it
// into a gRPC code, src/shim/task/errors.ts), and the exit code follows from
// the kind. Messages keep runc's wording where engines parse it
// (CLI-CONTRACT.md §6), so the text is for people and engines, the kind for code.

/**
 * - not-found: the container (or another named thing) does not exist
 * - exists: the id or name is taken
 * - bad-state: the container is in the wrong state for the operation (stopped, paused, not created)
 * - invalid-config: config.json, process.json or a resources document is wrong; `field` names where
 * - usage: the command line is wrong (flags, argument count)
 * - unsupported: carton does not implement this (yet)
 * - host-lacks: this host's kernel or setup lacks what the config asks for (a cgroup controller, systemd)
 * - denied: the kernel refused for lack of permission
 * - timeout: a bounded wait ran out (the step is named in the message)
 * - failed: a host or kernel step failed for another reason (mount, exec, hook)
 * - internal: a bug or an impossible state
 */
export type ErrorKind =
  | 'not-found'
  | 'exists'
  | 'bad-state'
  | 'invalid-config'
  | 'usage'
  | 'unsupported'
  | 'host-lacks'
  | 'denied'
  | 'timeout'
  | 'failed'
  | 'internal';

/** runc exits 1 on every error (`fatal`); the one exception, exec's 255, is the command's, not the kind's. */
const EXIT_CODE: Record<ErrorKind, number> = {
  'not-found': 1,
  exists: 1,
  'bad-state': 1,
  'invalid-config': 1,
  usage: 1,
  unsupported: 1,
  'host-lacks': 1,
  denied: 1,
  timeout: 1,
  failed: 1,
  internal: 1,
};

export interface ErrorInfo {
  kind?: ErrorKind;
  /** the JSON path or field the error is about, e.g. "linux.resources.memory.limit" */
  field?: string;
  /** what this error wraps (another CartonError, a Node errno error, ...) */
  cause?: unknown;
  /** overrides the kind's exit code (exec's 255: runc's fatalWithCode) */
  exitCode?: number;
}

export class CartonError extends Error {
  readonly kind: ErrorKind;
  readonly field?: string;
  readonly exitCode: number;

  constructor(message: string, info: ErrorInfo = {}) {
    super(message, info.cause === undefined ? undefined : { cause: info.cause });
    this.name = 'CartonError';
    this.kind = info.kind ?? kindOf(info.cause) ?? 'failed';
    if (info.field !== undefined) this.field = info.field;
    this.exitCode = info.exitCode ?? EXIT_CODE[this.kind];
  }
}

/** runc's "container does not exist": engines match on this exact wording. */
export class NotExistError extends CartonError {
  constructor(readonly id: string) {
    super('container does not exist', { kind: 'not-found' });
    this.name = 'NotExistError';
  }
}

/** The command-line was wrong (bad flag, missing argument). */
export class UsageError extends CartonError {
  constructor(message: string) {
    super(message, { kind: 'usage' });
    this.name = 'UsageError';
  }
}

/**
 * An error that happened while setting up the container (init or host side).
 * Kept as a short name for `new CartonError(message, info)`; the kind says more.
 */
export class SetupError extends CartonError {
  constructor(message: string, info: ErrorInfo = {}) {
    super(message, info);
    this.name = 'SetupError';
  }
}

/** The kind of a thrown value: a CartonError's own, a Node errno's nearest, else undefined. */
export function kindOf(e: unknown): ErrorKind | undefined {
  if (e instanceof CartonError) return e.kind;
  switch (errCode(e)) {
    case 'ENOENT':
      return 'not-found';
    case 'EEXIST':
      return 'exists';
    case 'EPERM':
    case 'EACCES':
      return 'denied';
    case 'ETIMEDOUT':
      return 'timeout';
    case undefined:
      return undefined;
    default:
      return 'failed';
  }
}

/** True when `e` is a CartonError of one of these kinds. */
export function isKind(e: unknown, ...kinds: ErrorKind[]): e is CartonError {
  return e instanceof CartonError && kinds.includes(e.kind);
}

/** Node's fs errors carry a code; this reads it without `any`. */
export function errCode(e: unknown): string | undefined {
  return typeof e === 'object' && e !== null && 'code' in e ? String(e.code) : undefined;
}

/** The message of anything thrown. */
export function errMessage(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** The first line of a message: errors are printed as one line. */
export function firstLine(s: string): string {
  const nl = s.indexOf('\n');
  return nl < 0 ? s : s.slice(0, nl);
}

/** The errno text Go (and so runc) prints: "no such file or directory". */
export function errText(e: unknown): string {
  const msg = errMessage(e);
  // Node: "ENOENT: no such file or directory, open '/x'" -> "no such file or directory"
  const m = /^E[A-Z0-9]+: ([^,]+)/.exec(msg);
  return m?.[1] ?? msg;
}
