// One process the shim tracks: a container's init (execId '') or an exec.
// It holds the stdio containerd asked for, the relay of its terminal, and
// its exit: status (128+N for a signal, as runc's shim reports) and time,
// with a promise that Wait and Delete await.
import type { Timestamp } from '../types';
import type { PtyRelay } from './pty';
import type { ProcessIO, StdioPaths } from './stdio';

export const STATUS = { UNKNOWN: 0, CREATED: 1, RUNNING: 2, STOPPED: 3, PAUSED: 4, PAUSING: 5 } as const;

export function timestamp(d: Date): Timestamp {
  const ms = d.getTime();
  return { seconds: Math.floor(ms / 1000), nanos: (ms % 1000) * 1e6 };
}

export class Proc {
  pid = 0;
  /** an exec's Start is opening its stdio (a binary:// logger may take a moment) */
  starting = false;
  /** set while the init's Start runs: its exit is published after TaskStart */
  startDone?: Promise<void>;
  exitStatus = 0;
  exitedAt?: Date;
  io?: ProcessIO;
  pty?: PtyRelay;
  readonly exited: Promise<void>;
  private markExited!: () => void;

  constructor(
    readonly containerId: string,
    readonly execId: string,
    readonly stdio: StdioPaths,
    readonly spec?: unknown,
  ) {
    this.exited = new Promise((resolve) => (this.markExited = resolve));
  }

  /** the id containerd knows this process by: the container's for its init */
  get id(): string {
    return this.execId || this.containerId;
  }

  get started(): boolean {
    return this.pid > 0;
  }

  /** Marks a Start in progress; call the returned function when it has replied or failed. */
  beginStart(): () => void {
    let done!: () => void;
    this.startDone = new Promise((resolve) => (done = resolve));
    return () => {
      this.startDone = undefined;
      done();
    };
  }

  setExited(status: number): void {
    this.exitStatus = status;
    this.exitedAt = new Date();
    this.pty?.close();
    this.io?.close();
    this.markExited();
  }

  exitFields(): { exitStatus: number; exitedAt?: Timestamp } {
    return { exitStatus: this.exitStatus, exitedAt: this.exitedAt ? timestamp(this.exitedAt) : undefined };
  }
}
