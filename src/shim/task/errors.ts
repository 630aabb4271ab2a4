// carton's errors, carried to containerd with the gRPC code its errdefs map
// back. The code follows from the error's kind (src/errors.ts), never from
// its text:
//   not-found      NOT_FOUND            (errdefs.ErrNotFound)
//   exists         ALREADY_EXISTS       (errdefs.ErrAlreadyExists)
//   bad-state      FAILED_PRECONDITION  (errdefs.ErrFailedPrecondition)
//   invalid-config INVALID_ARGUMENT     (errdefs.ErrInvalidArgument)
//   usage          INVALID_ARGUMENT
//   unsupported    UNIMPLEMENTED        (errdefs.ErrNotImplemented)
//   host-lacks     FAILED_PRECONDITION
//   denied         PERMISSION_DENIED    (errdefs.ErrPermissionDenied)
//   timeout        DEADLINE_EXCEEDED    (errdefs.ErrDeadlineExceeded)
//   failed         UNKNOWN              (errdefs.ErrUnknown)
//   internal       INTERNAL
// Anything thrown that is not a CartonError is a bug: INTERNAL.
import { CartonError, NotExistError, errMessage, type ErrorKind } from '../../errors';
import { Code, ShimError } from '../types';

export const GRPC_CODE: Record<ErrorKind, number> = {
  'not-found': Code.NOT_FOUND,
  exists: Code.ALREADY_EXISTS,
  'bad-state': Code.FAILED_PRECONDITION,
  'invalid-config': Code.INVALID_ARGUMENT,
  usage: Code.INVALID_ARGUMENT,
  unsupported: Code.UNIMPLEMENTED,
  'host-lacks': Code.FAILED_PRECONDITION,
  denied: Code.PERMISSION_DENIED,
  timeout: Code.DEADLINE_EXCEEDED,
  failed: Code.UNKNOWN,
  internal: Code.INTERNAL,
};

export function toShimError(e: unknown): ShimError {
  if (e instanceof ShimError) return e;
  // containerd prefixes nothing itself: "container c1: container does not exist", as runc's shim says it.
  if (e instanceof NotExistError) return new ShimError(GRPC_CODE[e.kind], `container ${e.id}: ${e.message}`, e);
  if (e instanceof CartonError) return new ShimError(GRPC_CODE[e.kind], e.message, e);
  return new ShimError(Code.INTERNAL, errMessage(e), e);
}

/** Run a library call, turning what it throws into a ShimError. */
export function lib<T>(fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    throw toShimError(e);
  }
}
