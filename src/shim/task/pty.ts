// terminal: the process's pty master comes back to the shim over carton's
// console socketpair (the same path as a foreground `carton run -t`); the
// shim relays containerd's stdin fifo into it and its output to the stdout
// fifo, and resizes it for ResizePty.
import * as fs from 'fs';
import * as net from 'net';
import { errText } from '../../errors';
import { addon } from '../../native';
import { Code, ShimError } from '../types';
import { openStdinFifo, type StdioPaths } from './stdio';

export class PtyRelay {
  private stdin?: net.Socket;
  private out?: net.Socket;
  /** resolves when the pty's output has all been copied (EIO once the last slave fd closes) */
  readonly done: Promise<void>;

  constructor(readonly master: number, p: StdioPaths) {
    if (p.stdin) {
      this.stdin = openStdinFifo(p.stdin);
      this.stdin.on('data', (d: Buffer) => {
        try {
          fs.writeSync(master, d);
        } catch {
          // the pty is gone
        }
      });
      this.stdin.on('error', () => undefined);
    }
    let outFd: number | undefined;
    if (p.stdout) {
      try {
        outFd = fs.openSync(p.stdout, fs.constants.O_RDWR);
      } catch (e) {
        throw new ShimError(Code.INTERNAL, `open stdout ${p.stdout}: ${errText(e)}`);
      }
      this.out = new net.Socket({ fd: outFd, readable: false, writable: true });
      this.out.on('error', () => undefined);
    }
    // Loaded here: only a terminal needs tty.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const tty = require('tty') as typeof import('tty');
    const rd = new tty.ReadStream(master);
    this.done = new Promise((resolve) => {
      rd.on('data', (d: Buffer) => this.out?.write(d));
      const end = () => {
        if (this.out) this.out.end(() => resolve());
        else resolve();
      };
      rd.on('error', end);
      rd.on('end', end);
    });
  }

  resize(width: number, height: number): void {
    addon().setWinsize(this.master, height, width);
  }

  /** CloseIO: stop feeding input; the terminal stays (an EOF is ^D in the pty, as runc's shim sends none). */
  closeStdin(): void {
    this.stdin?.destroy();
  }

  close(): void {
    this.stdin?.destroy();
    this.out?.destroy();
  }
}
