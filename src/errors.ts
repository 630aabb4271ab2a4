// Typed errors. Every error the CLI prints is one line that names the field,
// path or container it is about; the exit code travels with it.

export class CartonError extends Error {
  constructor(message: string, readonly exitCode = 1) {
    super(message);
    this.name = 'CartonError';
  }
}

/** runc's "container does not exist": engines match on this exact wording. */
export class NotExistError extends CartonError {
  constructor(readonly id: string) {
    super('container does not exist');
    this.name = 'NotExistError';
  }
}

/** The command-line was wrong (bad flag, missing argument). */
export class UsageError extends CartonError {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/** An error that happened while setting up the container (init or host side). */
export class SetupError extends CartonError {
  constructor(message: string) {
    super(message);
    this.name = 'SetupError';
  }
}

/** Node's fs errors carry a code; this reads it without `any`. */
export function errCode(e: unknown): string | undefined {
  return typeof e === 'object' && e !== null && 'code' in e ? String((e as { code: unknown }).code) : undefined;
}

/** The errno text Go (and so runc) prints: "no such file or directory". */
export function errText(e: unknown): string {
  const msg = e instanceof Error ? e.message : String(e);
  // Node: "ENOENT: no such file or directory, open '/x'" -> "no such file or directory"
  const m = /^E[A-Z0-9]+: ([^,]+)/.exec(msg);
  return m ? m[1] : msg;
}
