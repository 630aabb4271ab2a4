// The parent's end of the parent <-> carton-init protocol (the diagram is in
// native/init/protocol.h). Blocking reads are fine here: create is a short
// sequential conversation, and a blocked event loop costs nothing.
import * as fs from 'fs';
import { SetupError } from '../errors';
import { phase } from '../log';

export const MSG = { GO: 'G', PID: 'P', MAPPED: 'M', READY: 'R', ERROR: 'E', HOOKS: 'H', CONTINUE: 'C', TRACE: 'T' } as const;

export interface Message {
  type: string;
  body: Buffer;
}

export class InitChannel {
  constructor(readonly fd: number) {}

  send(type: string, body: Buffer = Buffer.alloc(0)): void {
    fs.writeSync(this.fd, Buffer.concat([Buffer.from(type, 'latin1'), body]));
  }

  /** The next message, or null on EOF (init died without a word). */
  recv(): Message | null {
    const buf = Buffer.alloc(8192);
    let n: number;
    for (;;) {
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
    return { type: String.fromCharCode(buf[0]), body: buf.subarray(1, n) };
  }

  /** Wait for `type`; an 'E' from init becomes the error it carries. */
  expect(type: string, what: string): Message {
    let m = this.recv();
    // init's own phases (--debug) go into the timing trace as they arrive.
    while (m?.type === MSG.TRACE) {
      phase(m.body.toString('utf8'));
      m = this.recv();
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
