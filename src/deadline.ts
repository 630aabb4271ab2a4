// Every wait carton does on something it does not control (carton-init's
// handshake, another carton command's lock, the exec fifo) has a bound, so
// that no command can hang its engine forever. The bound is minutes: long
// enough for a slow host, an unbounded createContainer hook or a big
// rootfs; after it carton kills what it started, cleans up and names the
// step it was waiting for.
import { SetupError } from './errors';

const DEFAULT_MS = 4 * 60 * 1000;

/**
 * The bound for one step. CARTON_TEST_HANDSHAKE_TIMEOUT_MS overrides it: it
 * exists so tests can stop an init mid-handshake and see the failure in
 * seconds, not minutes.
 */
export function stepTimeoutMs(): number {
  const v = Number(process.env.CARTON_TEST_HANDSHAKE_TIMEOUT_MS);
  return Number.isInteger(v) && v > 0 ? v : DEFAULT_MS;
}

/** "4m0s" / "1.5s", as Go prints a duration. */
export function durationText(ms: number): string {
  if (ms >= 60000 && ms % 1000 === 0) return `${Math.floor(ms / 60000)}m${(ms % 60000) / 1000}s`;
  return `${ms / 1000}s`;
}

export class Deadline {
  private readonly end: number;
  constructor(readonly ms = stepTimeoutMs()) {
    this.end = Date.now() + ms;
  }

  /** Milliseconds left, at least 0. */
  left(): number {
    return Math.max(0, this.end - Date.now());
  }

  expired(): boolean {
    return Date.now() >= this.end;
  }

  error(step: string): SetupError {
    return new SetupError(`timed out after ${durationText(this.ms)} waiting for ${step}`, { kind: 'timeout' });
  }
}

export function sleepMs(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}
