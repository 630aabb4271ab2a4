// The serving shim's side of carton-keeper (native/keeper/keeper.c), the
// native parent that makes a crash of this Node process lose nothing:
//
//   keeper ─ fd 3: the shim's listening socket (the keeper's own, inherited)
//          ─ fd 4: control, SOCK_SEQPACKET, Node → keeper, one message each:
//                  "H<label>" + SCM_RIGHTS fd   hold a dup of fd under label
//                  "D<label>"                   drop (close) it
//                  "P<prefix>"                  drop every label with prefix
//          ─ fd 5: events, a pipe, keeper → Node: "E <pid> <status>\n" for
//                  each process it reaped (re-parented to it when Node died)
//          ─ CARTON_KEEPER_FDS: "<fd> <label>\n" for every held fd, which a
//                  respawned Node inherits at that number
//   <state>/exits/<pid>  the keeper's record of each exit it reaped
//   <state>/tasks/<id>.json  this process's records of its containers
//   <state>/waits/<conn>.<stream>.json  each Task request until answered
//
// Whatever containerd or a container would see close (a ttrpc connection, a
// stdin fifo or socketpair, a pty master, a terminal's output fifo) is held;
// a container's own stdout/stderr fifos it holds itself. Without a keeper
// (the in-process tests) every call is a no-op and dir is undefined.
import * as fs from 'fs';
import * as net from 'net';
import * as path from 'path';
import { addon } from '../native';
import { atomicWrite } from '../state/store';
import type { AfterCrash, CallInfo, ConnectionKeeper, TtrpcServer } from './ttrpc/server';

export const KEEPER_ENV = 'CARTON_KEEPER';
export const KEEPER_FDS_ENV = 'CARTON_KEEPER_FDS';
const CTL_FD = 4;
const EVENTS_FD = 5;

export class Keeper {
  /** fds a respawned Node inherited, by label; each is taken once */
  private readonly inherited = new Map<string, number>();
  private readonly exitListeners: Array<(pid: number) => void> = [];
  private events?: net.Socket;

  private constructor(
    /** the shim's state dir (the keeper's argv[1]); undefined: no keeper */
    readonly dir: string | undefined,
    private readonly ctl: number,
  ) {}

  static none(): Keeper {
    return new Keeper(undefined, -1);
  }

  /** The keeper this process runs under (CARTON_KEEPER=<state dir>), or none. */
  static fromEnv(): Keeper {
    const dir = process.env[KEEPER_ENV];
    const list = process.env[KEEPER_FDS_ENV] ?? '';
    delete process.env[KEEPER_ENV];
    delete process.env[KEEPER_FDS_ENV];
    if (!dir) return Keeper.none();
    const k = new Keeper(dir, CTL_FD);
    k.respawned = list.startsWith('respawn\n');
    for (const line of list.split('\n')) {
      const m = /^(\d+) (.+)$/.exec(line);
      if (m) k.inherited.set(m[2]!, Number(m[1]));
    }
    for (const sub of ['tasks', 'waits']) fs.mkdirSync(path.join(dir, sub), { recursive: true, mode: 0o700 });
    k.events = new net.Socket({ fd: EVENTS_FD, readable: true, writable: false });
    let buf = '';
    k.events.on('data', (d: Buffer) => {
      buf += String(d);
      const lines = buf.split('\n');
      buf = lines.pop() ?? '';
      for (const l of lines) {
        const pid = Number(/^E (\d+) /.exec(l)?.[1]);
        if (pid) for (const cb of k.exitListeners) cb(pid);
      }
    });
    k.events.on('error', () => undefined);
    // The pipe must not keep an idle shim alive.
    k.events.unref();
    return k;
  }

  get active(): boolean {
    return this.dir !== undefined;
  }

  /** The keeper's pid (containerd's shim pid), or ours without one. */
  get pid(): number {
    return this.active ? process.ppid : process.pid;
  }

  private send(msg: string, fd = -1): void {
    if (!this.active) return;
    try {
      addon().sendFd(this.ctl, fd, Buffer.from(msg));
    } catch {
      // The keeper is gone: we serve on, only without the safety net.
    }
  }

  hold(label: string, fd: number): void {
    this.send(`H${label}`, fd);
  }

  drop(label: string): void {
    this.send(`D${label}`);
  }

  dropPrefix(prefix: string): void {
    this.send(`P${prefix}`);
  }

  /** An fd inherited from the keeper under `label` (ours to use and close), once. */
  take(label: string): number | undefined {
    const fd = this.inherited.get(label);
    this.inherited.delete(label);
    return fd;
  }

  /** Inherited labels starting with `prefix`, not yet taken. */
  labels(prefix: string): string[] {
    return [...this.inherited.keys()].filter((l) => l.startsWith(prefix));
  }

  /** The status the keeper recorded for `pid`, if it reaped it. */
  exitOf(pid: number): number | undefined {
    if (!this.dir) return undefined;
    try {
      return Number(fs.readFileSync(path.join(this.dir, 'exits', String(pid)), 'utf8').trim());
    } catch {
      return undefined;
    }
  }

  forgetExit(pid: number): void {
    if (this.dir) fs.rmSync(path.join(this.dir, 'exits', String(pid)), { force: true });
  }

  onExit(cb: (pid: number) => void): void {
    this.exitListeners.push(cb);
  }

  offExit(cb: (pid: number) => void): void {
    const i = this.exitListeners.indexOf(cb);
    if (i >= 0) this.exitListeners.splice(i, 1);
  }

  /** This process replaces one that died (the keeper says so in CARTON_KEEPER_FDS's first line). */
  respawned = false;

  /** Writes (or with undefined, removes) one record under <dir>/<kind>/<name>.json, atomically. */
  save(kind: 'tasks' | 'waits', name: string, value: unknown): void {
    if (!this.dir) return;
    const file = path.join(this.dir, kind, `${name}.json`);
    if (value === undefined) return fs.rmSync(file, { force: true });
    atomicWrite(file, JSON.stringify(value), 0o600);
  }

  load<T>(kind: 'tasks' | 'waits'): T[] {
    if (!this.dir) return [];
    const dir = path.join(this.dir, kind);
    const out: T[] = [];
    for (const f of fs.existsSync(dir) ? fs.readdirSync(dir) : []) {
      if (!f.endsWith('.json')) continue;
      try {
        out.push(JSON.parse(fs.readFileSync(path.join(dir, f), 'utf8')) as T);
      } catch {
        // a torn write cannot happen (rename); anything else is not ours
      }
    }
    return out;
  }

  /** A normal exit: our records go (the keeper removes its exits and the dir). */
  removeRecords(): void {
    if (!this.dir) return;
    for (const sub of ['tasks', 'waits']) fs.rmSync(path.join(this.dir, sub), { recursive: true, force: true });
  }

  /** fds inherited but never taken (state gone meanwhile): closed, and the keeper drops them too. */
  releaseUntaken(): void {
    for (const [label, fd] of this.inherited) {
      addon().close(fd);
      this.drop(label);
    }
    this.inherited.clear();
  }
}

/** The ttrpc server's side (ttrpc/server.ts): each connection held under a label, requests recorded until answered. */
export function connectionKeeper(k: Keeper, afterCrash: (info: CallInfo) => AfterCrash): ConnectionKeeper {
  let n = 0;
  const name = (label: string, stream: number) => `${label}.${stream}`;
  return {
    accepted(sock) {
      const fd = (sock as unknown as { _handle?: { fd?: number } })._handle?.fd;
      if (!k.active || fd === undefined || fd < 0) return undefined;
      const label = `conn:${process.pid}.${++n}`;
      k.hold(label, fd);
      return label;
    },
    closed: (label) => k.drop(label),
    afterCrash: (info) => (k.active ? afterCrash(info) : undefined),
    park: (label, stream, payload, then) =>
      k.save('waits', name(label, stream), { label, stream, then, payload: payload.toString('base64') }),
    unpark: (label, stream) => k.save('waits', name(label, stream), undefined),
  };
}

/** Adopts every connection the keeper held for us, with the requests each had pending. */
export function adoptConnections(k: Keeper, server: TtrpcServer): void {
  const waits = k.load<{ label: string; stream: number; then: 'redo' | 'fail'; payload: string }>('waits');
  const adopted = new Set<string>();
  for (const label of k.labels('conn:')) {
    const fd = k.take(label)!;
    adopted.add(label);
    const pending = waits.filter((w) => w.label === label);
    server.adopt(
      fd,
      label,
      pending.map((w) => ({ stream: w.stream, then: w.then, payload: Buffer.from(w.payload, 'base64') })),
    );
  }
  // Requests of connections that closed meanwhile have nobody to answer.
  for (const w of waits) if (!adopted.has(w.label)) k.save('waits', `${w.label}.${w.stream}`, undefined);
}
