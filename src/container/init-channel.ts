// The parent's end of the parent <-> carton-init protocol (the diagram is in
// native/init/protocol.h, the message codes in src/plan/format.ts). Blocking reads are fine here: create is a short
// sequential conversation, and a blocked event loop costs nothing. Every
// read has a deadline (src/deadline.ts): an init that stops (SIGSTOP, a
// frozen cgroup, a hook that never returns) fails the step by name instead
// of hanging the command; the caller then kills what it started.
import * as fs from 'fs';
import { SetupError, errCode } from '../errors';
import { Deadline } from '../deadline';
import { phase } from '../log';
import { addon } from '../native';

import { MSG } from '../plan/format';

// Re-exported for the operations that talk to init (create, exec, launch).
export { MSG };

export interface Message {
  type: string;
  body: Buffer;
}

export class InitChannel {
  constructor(readonly fd: number) {}

  /**
   * A dead init is a SetupError naming the step, never a bare EPIPE: the CLI
   * treats EPIPE as "stdout was closed" and would exit 141 without a word.
   */
  send(type: string, body: Buffer = Buffer.alloc(0), what = `it read '${type}'`): void {
    try {
      fs.writeSync(this.fd, Buffer.concat([Buffer.from(type, 'latin1'), body]));
    } catch (e) {
      if (errCode(e) === 'EPIPE' || errCode(e) === 'ECONNRESET')
        throw new SetupError(`carton-init exited before ${what}`);
      throw e;
    }
  }

  /** The next message, or null on EOF (init died without a word); `deadline` bounds the wait. */
  recv(deadline?: Deadline, what = 'its next message'): Message | null {
    const buf = Buffer.alloc(8192);
    let n: number;
    for (;;) {
      if (deadline && !addon().pollIn(this.fd, Math.max(1, deadline.left()))) {
        if (deadline.expired()) throw deadline.error(`carton-init until ${what}`);
        continue;
      }
      try {
        n = fs.readSync(this.fd, buf, 0, buf.length, null);
        break;
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'EINTR' || (e as NodeJS.ErrnoException).code === 'EAGAIN') continue;
        if ((e as NodeJS.ErrnoException).code === 'ECONNRESET') return null;
        throw e;
      }
    }
    if (n === 0) return null;
    return { type: buf.toString('latin1', 0, 1), body: buf.subarray(1, n) };
  }

  /** Wait for `type`; an 'E' from init becomes the error it carries. */
  expect(type: string, what: string): Message {
    const deadline = new Deadline();
    let m = this.recv(deadline, what);
    // init's own phases (--debug) go into the timing trace as they arrive.
    while (m?.type === MSG.TRACE) {
      phase(m.body.toString('utf8'));
      m = this.recv(deadline, what);
    }
    if (!m) throw new SetupError(`carton-init exited before ${what}`);
    if (m.type === MSG.ERROR) throw new SetupError(m.body.toString('utf8').trim());
    if (m.type !== type) throw new SetupError(`carton-init: unexpected message '${m.type}' while waiting for ${what}`);
    return m;
  }

  close(): void {
    try {
      fs.closeSync(this.fd);
    } catch {
      // already closed
    }
  }
}
