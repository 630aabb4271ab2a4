// terminal: the process's pty master comes back to the shim over carton's
// console socketpair (the same path as a foreground `carton run -t`); the
// shim relays containerd's stdin fifo into it and its output to the stdout
// fifo, and resizes it for ResizePty.
import * as fs from 'fs';
import * as net from 'net';
import { addon } from '../../native';
import { fdOf, openStdinFifo, type Held } from './stdio';

export class PtyRelay {
  private stdin?: net.Socket;
  private out?: net.Socket | fs.WriteStream;
  /** resolves when the pty's output has all been copied (EIO once the last slave fd closes) */
  readonly done: Promise<void>;

  /**
   * `stdinFifo`: its path, or after a crash the fd the keeper kept. With
   * `held`, a fresh relay's fds are handed to the keeper; an adopted one's
   * already are (`adopted`).
   */
  constructor(
    readonly master: number,
    stdinFifo: string | number | undefined,
    outFd: number | undefined,
    private readonly held?: Held,
    adopted = false,
  ) {
    if (held && !adopted) {
      // Held, so our death hangs up neither the terminal nor containerd's fifo readers.
      held.keeper.hold(`${held.prefix}pty`, master);
      if (outFd !== undefined) held.keeper.hold(`${held.prefix}out`, outFd);
    }
    if (stdinFifo !== undefined && stdinFifo !== '') {
      this.stdin =
        typeof stdinFifo === 'number'
          ? new net.Socket({ fd: stdinFifo, readable: true, writable: false })
          : openStdinFifo(stdinFifo);
      if (held && !adopted) held.keeper.hold(`${held.prefix}fifo`, fdOf(this.stdin));
      this.stdin.on('data', (d: Buffer) => {
        try {
          fs.writeSync(master, d);
        } catch {
          // the pty is gone
        }
      });
      this.stdin.on('error', () => undefined);
    }
    if (outFd !== undefined) {
      // A fifo or a logger's socket is written asynchronously; a file:// log is a plain file.
      const st = fs.fstatSync(outFd);
      this.out =
        st.isFIFO() || st.isSocket()
          ? new net.Socket({ fd: outFd, readable: false, writable: true })
          : fs.createWriteStream('', { fd: outFd });
      this.out.on('error', () => undefined);
    }
    // Loaded here: only a terminal needs tty.
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
    this.held?.keeper.drop(`${this.held.prefix}fifo`);
  }

  close(): void {
    this.stdin?.destroy();
    this.out?.destroy();
    // Our copies are closed: the keeper's go too, so containerd sees the EOF.
    if (this.held) this.held.keeper.dropPrefix(this.held.prefix);
  }
}
