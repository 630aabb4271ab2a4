// `start`: release a created container by writing one byte to its exec fifo,
// which its init blocks reading; then the fifo goes, and with it "created".
// With startContainer or poststart hooks, start also waits until the init
// has exec'd (or died in a startContainer hook), then runs poststart.
import * as fs from 'fs';
import { Deadline } from '../deadline';
import { CartonError, errCode } from '../errors';
import { addon } from '../native';
import type { Store } from '../state/store';
import { statusOf } from '../state/status';
import { hasHooks, hookState, runHooks, savedSpec } from './hooks';
import { signalInit } from './kill';

const POLLERR = 0x8;

/**
 * Wait until no reader is left on the fifo: init closes it by exec
 * (close-on-exec) or by exiting. A failed startContainer hook leaves its
 * error text in the fifo, which we still hold open for writing, so the pipe
 * and its data live on and can be read back through /proc/self/fd.
 */
function awaitExec(fd: number, onTimeout: () => void): void {
  const deadline = new Deadline();
  while (!(addon().pollEvents(fd, 0, Math.max(1, deadline.left())) & POLLERR)) {
    if (deadline.expired()) {
      // A startContainer hook (or init) that never finishes: the container
      // does not start, and its init does not linger as "created".
      onTimeout();
      throw deadline.error('the container process to exec (startContainer hooks)');
    }
  }
  // Empty: init exec'd (the process may even have exited by now).
  let text = '';
  try {
    const rd = fs.openSync(`/proc/self/fd/${fd}`, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK);
    try {
      const buf = Buffer.alloc(4096);
      text = buf.subarray(0, fs.readSync(rd, buf, 0, buf.length, null)).toString('utf8');
    } finally {
      fs.closeSync(rd);
    }
  } catch {
    // nothing to read
  }
  if (text.trim()) throw new CartonError(text.trim());
}

export function start(store: Store, id: string): void {
  const lock = store.lock(id, true);
  try {
    const s = store.read(id);
    const fifo = store.fifo(id);
    const status = statusOf(s, fifo);
    if (status === 'running' || status === 'paused')
      throw new CartonError('cannot start an already running container', { kind: 'bad-state' });
    if (status === 'stopped') throw new CartonError('cannot start a container that has stopped', { kind: 'bad-state' });
    const spec = savedSpec(store, id);
    let fd: number;
    try {
      // Non-blocking: if init is gone there is no reader and open fails (ENXIO).
      fd = fs.openSync(fifo, fs.constants.O_WRONLY | fs.constants.O_NONBLOCK);
    } catch (e) {
      if (errCode(e) === 'ENXIO')
        throw new CartonError('cannot start a container that has stopped', { kind: 'bad-state' });
      throw e;
    }
    try {
      fs.writeSync(fd, Buffer.from([0]));
      if (hasHooks(spec, 'startContainer', 'poststart')) awaitExec(fd, () => signalInit(s, 9));
    } finally {
      fs.closeSync(fd);
      fs.unlinkSync(fifo);
    }
    if (spec && hasHooks(spec, 'poststart')) {
      try {
        runHooks(spec, 'poststart', hookState(spec, id, s.bundle, 'running', s.pid));
      } catch (e) {
        // runtime.md step 9: a failed poststart hook stops the container.
        signalInit(s, 9);
        throw e;
      }
    }
  } finally {
    lock.release();
  }
}
