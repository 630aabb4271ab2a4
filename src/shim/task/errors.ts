// carton's one-line errors, carried to containerd with the gRPC code its
// errdefs map back: unknown ids NOT_FOUND, taken ids ALREADY_EXISTS, a
// process in the wrong state FAILED_PRECONDITION, bad input INVALID_ARGUMENT.
import { CartonError, NotExistError } from '../../errors';
import { ConfigError } from '../../spec/validate';
import { Code, ShimError } from '../types';

const PRECONDITION = /not running|not paused|not stopped|already running|has stopped|stopped container|paused container|cannot start|cannot delete|cannot exec/;

export function toShimError(e: unknown): ShimError {
  if (e instanceof ShimError) return e;
  if (e instanceof ConfigError) return new ShimError(Code.INVALID_ARGUMENT, e.message);
  if (e instanceof NotExistError) return new ShimError(Code.NOT_FOUND, `container ${e.id}: ${e.message}`);
  if (e instanceof CartonError) {
    const m = e.message;
    if (m.startsWith('container with id exists')) return new ShimError(Code.ALREADY_EXISTS, m);
    if (PRECONDITION.test(m)) return new ShimError(Code.FAILED_PRECONDITION, m);
    if (/^(config\.json|process|exec|invalid container id)/.test(m)) return new ShimError(Code.INVALID_ARGUMENT, m);
    return new ShimError(Code.UNKNOWN, m);
  }
  return new ShimError(Code.INTERNAL, e instanceof Error ? e.message : String(e));
}

/** Run a library call, turning what it throws into a ShimError. */
export function lib<T>(fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    throw toShimError(e);
  }
}
