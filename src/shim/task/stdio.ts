// A process's stdio from containerd's request: fifo paths (any may be
// empty), or a binary:// / file:// URI for stdout. Without a terminal
// stdout and stderr fifos are handed to the process itself (no copying
// through Node); stdin goes through a socketpair the shim feeds from the
// fifo, so that CloseIO can give the process its EOF.
import { spawn, type ChildProcess } from 'child_process';
import * as fs from 'fs';
import * as net from 'net';
import * as path from 'path';
import { CartonError, errText } from '../../errors';
import { addon } from '../../native';
import type { Keeper } from '../keeper';
import { Code, ShimError } from '../types';

/** Where a process's fds are held across a crash of this process: the keeper, under `<prefix><kind>` labels. */
export interface Held {
  keeper: Keeper;
  prefix: string;
}

/** The fd under a net.Socket (to hand to the keeper). */
export function fdOf(sock: net.Socket): number {
  return (sock as unknown as { _handle: { fd: number } })._handle.fd;
}

export interface StdioPaths {
  stdin: string;
  stdout: string;
  stderr: string;
  terminal: boolean;
}

const { O_RDONLY, O_RDWR, O_WRONLY, O_NONBLOCK, O_CREAT, O_APPEND } = fs.constants;

function openOrFail(file: string, flags: number, what: string, mode = 0o644): number {
  try {
    return fs.openSync(file, flags, mode);
  } catch (e) {
    throw new ShimError(Code.INTERNAL, `${what} ${file}: ${errText(e)}`);
  }
}

/** The stdin fifo as a readable stream. Nothing is read (not even EOF) before a writer has connected. */
export function openStdinFifo(file: string): net.Socket {
  return new net.Socket({ fd: openOrFail(file, O_RDONLY | O_NONBLOCK, 'open stdin'), readable: true, writable: false });
}

export class ProcessIO {
  /** the process's 0-2; ours to close once it has them */
  readonly fds: [number, number, number];
  private readonly mine: number[] = [];
  private stdinFifo?: net.Socket;
  private stdinSock?: net.Socket;
  private logger?: ChildProcess;

  private constructor(
    fds: [number, number, number],
    private readonly held?: Held,
  ) {
    this.fds = fds;
  }

  /** Without a terminal: the fds the process gets. `ready` resolves once a binary:// logger said so. */
  static async open(p: StdioPaths, id: string, namespace: string, held?: Held): Promise<ProcessIO> {
    const io = new ProcessIO([-1, -1, -1], held);
    try {
      const devnull = () => io.keep(openOrFail('/dev/null', O_RDWR, 'open'));
      io.fds[0] = p.stdin ? io.stdinPipe(p.stdin) : devnull();
      const uri = /^([a-z]+):\/\//.exec(p.stdout)?.[1];
      if (uri === 'binary') {
        [io.fds[1], io.fds[2]] = await io.binaryLogger(p.stdout, id, namespace);
      } else if (uri === 'file') {
        const file = decodeURIComponent(new URL(p.stdout).pathname);
        fs.mkdirSync(path.dirname(file), { recursive: true });
        io.fds[1] = io.fds[2] = io.keep(openOrFail(file, O_WRONLY | O_CREAT | O_APPEND, 'open log file'));
      } else {
        if (uri && uri !== 'fifo')
          throw new ShimError(Code.INVALID_ARGUMENT, `stdout: unsupported URI scheme "${uri}" in ${p.stdout}`);
        // O_RDWR never blocks waiting for containerd's reader.
        io.fds[1] = p.stdout ? io.keep(openOrFail(p.stdout, O_RDWR, 'open stdout')) : devnull();
        io.fds[2] = p.stderr ? io.keep(openOrFail(p.stderr, O_RDWR, 'open stderr')) : devnull();
      }
      return io;
    } catch (e) {
      io.close();
      throw e;
    }
  }

  private keep(fd: number): number {
    this.mine.push(fd);
    return fd;
  }

  private stdinPipe(fifo: string): number {
    const [ours, theirs] = addon().socketPair(false);
    this.keep(theirs);
    const fifoSock = openStdinFifo(fifo);
    // Held, so our death is no EOF for the process nor EPIPE for containerd's writer.
    this.held?.keeper.hold(`${this.held.prefix}stdin`, ours);
    this.held?.keeper.hold(`${this.held.prefix}fifo`, fdOf(fifoSock));
    this.pipeStdin(fifoSock, ours);
    return theirs;
  }

  private pipeStdin(fifo: net.Socket, ours: number): void {
    this.stdinSock = new net.Socket({ fd: ours, readable: false, writable: true });
    this.stdinSock.on('error', () => undefined);
    this.stdinFifo = fifo;
    this.stdinFifo.on('error', () => this.closeStdin());
    this.stdinFifo.pipe(this.stdinSock);
  }

  /** A crashed predecessor's process: its stdin relay again, from the fds the keeper kept. */
  static adopt(held: Held): ProcessIO {
    const io = new ProcessIO([-1, -1, -1], held);
    const fifo = held.keeper.take(`${held.prefix}fifo`);
    const ours = held.keeper.take(`${held.prefix}stdin`);
    if (fifo !== undefined && ours !== undefined)
      io.pipeStdin(new net.Socket({ fd: fifo, readable: true, writable: false }), ours);
    else for (const fd of [fifo, ours]) if (fd !== undefined) addon().close(fd);
    return io;
  }

  /**
   * As containerd's runc shim: the logger gets the process's stdout and
   * stderr as fds 3 and 4 and closes (or writes to) fd 5 when ready; its
   * arguments are the URI's query pairs, its environment only the ids.
   */
  private async binaryLogger(uri: string, id: string, namespace: string): Promise<[number, number]> {
    const u = new URL(uri);
    const args: string[] = [];
    for (const [k, v] of u.searchParams) args.push(k, ...(v ? [v] : []));
    const [outR, outW] = addon().socketPair(false);
    const [errR, errW] = addon().socketPair(false);
    this.keep(outW);
    this.keep(errW);
    try {
      this.logger = spawn(decodeURIComponent(u.pathname), args, {
        stdio: ['ignore', 'ignore', 'ignore', outR, errR, 'pipe'],
        env: { CONTAINER_ID: id, CONTAINER_NAMESPACE: namespace },
        detached: true,
      });
    } finally {
      addon().close(outR);
      addon().close(errR);
    }
    const logger = this.logger;
    // fd 5 is the 'pipe' the logging binary closes or writes to when ready (stdio above).
    const ready = (logger.stdio as unknown as Array<net.Socket | null>)[5];
    if (!ready) throw new ShimError(Code.INTERNAL, `failed to start logging binary ${u.pathname}: no readiness pipe`);
    await new Promise<void>((resolve, reject) => {
      const fail = (e: Error) =>
        reject(new ShimError(Code.INTERNAL, `failed to start logging binary ${u.pathname}: ${errText(e)}`));
      logger.once('error', fail);
      ready.once('data', () => resolve());
      ready.once('end', () => resolve());
      ready.once('error', fail);
      logger.once('exit', (code) =>
        code ? fail(new CartonError(`exit status ${code}`, { kind: 'failed' })) : resolve(),
      );
    });
    ready.destroy();
    logger.unref();
    return [outW, errW];
  }

  /**
   * A terminal's output goes where stdout would (fifo, file or logger): the
   * relay keeps our stdout fd instead of it being dropped after the spawn.
   */
  takeStdout(): number | undefined {
    const fd = this.fds[1];
    const i = this.mine.indexOf(fd);
    if (i < 0) return undefined;
    // (file:// shares this fd with stderr; it is listed once)
    this.mine.splice(i, 1);
    return fd;
  }

  /** The process has its copies: drop ours. */
  afterSpawn(): void {
    for (const fd of this.mine.splice(0)) addon().close(fd);
  }

  closeStdin(): void {
    this.stdinFifo?.destroy();
    this.stdinSock?.end();
    this.stdinSock?.destroy();
    if (this.stdinSock) this.held?.keeper.drop(`${this.held.prefix}stdin`);
    if (this.stdinFifo) this.held?.keeper.drop(`${this.held.prefix}fifo`);
  }

  close(): void {
    this.afterSpawn();
    this.closeStdin();
  }
}
