// Container state on disk: one directory per container under --root, holding
// state.json (written atomically by rename), exec.fifo while the container is
// in "created", and config.json as it was at create time. A per-container
// flock on the directory serialises commands on the same id.
import * as fs from 'fs';
import * as path from 'path';
import { CartonError, NotExistError, errCode, errText } from '../errors';
import { Deadline, sleepMs } from '../deadline';
import { addon } from '../native';
import type { CgroupRecord } from '../cgroups/types';

export interface StoredState {
  ociVersion: string;
  id: string;
  pid: number;
  bundle: string;
  rootfs: string;
  created: string;
  annotations?: Record<string, string>;
  /** /proc/<pid>/stat starttime of the init, so a recycled pid is never mistaken for it */
  startTime: string;
  cgroup: CgroupRecord;
  /** namespaces the container created (for exec and delete) */
  namespaces: string[];
}

const ID_RE = /^[\w+\-.]+$/;

export function checkId(id: string): void {
  if (!id || !ID_RE.test(id) || id === '.' || id === '..')
    throw new CartonError(`invalid container id format: ${id}`, { kind: 'usage' });
}

export class Store {
  readonly root: string;

  /**
   * A relative --root is made absolute now: state.json records paths that
   * later commands, run from another cwd, must find. A state root others
   * may write to is refused: whoever can write there can plant a
   * container's state.json (a pid for kill, cgroup paths for delete).
   */
  constructor(root: string) {
    this.root = path.resolve(root);
    checkRootMode(this.root);
  }

  dir(id: string): string {
    return path.join(this.root, id);
  }

  fifo(id: string): string {
    return path.join(this.dir(id), 'exec.fifo');
  }

  /** Reserve the id: mkdir is the atomic "create if absent". Returns a locked handle. */
  reserve(id: string): Lock {
    checkId(id);
    fs.mkdirSync(this.root, { recursive: true, mode: 0o700 });
    try {
      fs.mkdirSync(this.dir(id), { mode: 0o711 });
    } catch (e) {
      if (errCode(e) === 'EEXIST') throw new CartonError(`container with id exists: ${id}`, { kind: 'exists' });
      throw new CartonError(`create state directory ${this.dir(id)}: ${errText(e)}`);
    }
    return Lock.take(this.dir(id), true);
  }

  /** Lock an existing container; throws NotExistError when there is none. */
  lock(id: string, exclusive: boolean): Lock {
    checkId(id);
    let l: Lock;
    try {
      l = Lock.take(this.dir(id), exclusive);
    } catch (e) {
      if (errCode(e) === 'ENOENT') throw new NotExistError(id);
      throw e;
    }
    // A create that failed removes the directory after we opened it.
    if (!fs.existsSync(path.join(this.dir(id), 'state.json'))) {
      l.release();
      throw new NotExistError(id);
    }
    return l;
  }

  read(id: string): StoredState {
    try {
      return JSON.parse(fs.readFileSync(path.join(this.dir(id), 'state.json'), 'utf8')) as StoredState;
    } catch (e) {
      if (errCode(e) === 'ENOENT') throw new NotExistError(id);
      throw new CartonError(`read state of ${id}: ${errText(e)}`);
    }
  }

  write(s: StoredState): void {
    atomicWrite(path.join(this.dir(s.id), 'state.json'), JSON.stringify(s));
  }

  remove(id: string): void {
    // The directory holds a few flat files: unlink them and rmdir, which is
    // much cheaper than rmSync's recursive walk; anything unexpected falls back to it.
    const dir = this.dir(id);
    try {
      for (const f of fs.readdirSync(dir)) fs.unlinkSync(path.join(dir, f));
      fs.rmdirSync(dir);
    } catch (e) {
      if (errCode(e) !== 'ENOENT') fs.rmSync(dir, { recursive: true, force: true });
    }
  }

  ids(): string[] {
    try {
      return fs
        .readdirSync(this.root, { withFileTypes: true })
        .filter((d) => d.isDirectory())
        .map((d) => d.name)
        .sort();
    } catch (e) {
      if (errCode(e) === 'ENOENT') return [];
      throw e;
    }
  }
}

function checkRootMode(root: string): void {
  let st: fs.Stats;
  try {
    st = fs.statSync(root);
  } catch {
    return; // made 0700 on first use (reserve)
  }
  if (!st.isDirectory()) throw new CartonError(`--root ${root}: not a directory`, { kind: 'usage' });
  if (st.mode & 0o022) {
    throw new CartonError(
      `--root ${root}: the state directory is group- or world-writable (mode ${(st.mode & 0o7777).toString(8).padStart(4, '0')}); make it 0700 (chmod go-w) or use another --root`,
      { kind: 'usage' },
    );
  }
}

/** --pid-file: bare digits, no newline, via rename (go-runc's ReadPidFile is strconv.Atoi). */
export function writePidFile(file: string, pid: number): void {
  atomicWrite(path.resolve(file), String(pid));
}

/** Write via a temp file and rename, so readers see the old or the new file, never half of one. */
export function atomicWrite(file: string, data: string, mode = 0o644): void {
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, data, { mode });
  fs.renameSync(tmp, file);
}

export class Lock {
  private constructor(private fd: number) {}

  /**
   * flock, bounded (src/deadline.ts): a command stuck while holding the
   * lock must not hang every later command on the id with it.
   */
  static take(dir: string, exclusive: boolean): Lock {
    const fd = fs.openSync(dir, fs.constants.O_RDONLY | fs.constants.O_DIRECTORY);
    try {
      let deadline: Deadline | undefined;
      for (let pause = 1; !addon().flock(fd, exclusive, true); pause = Math.min(pause * 2, 100)) {
        deadline ??= new Deadline();
        if (deadline.expired())
          throw deadline.error(`the lock of container ${path.basename(dir)} (another carton command holds it)`);
        sleepMs(Math.min(pause, deadline.left()));
      }
    } catch (e) {
      fs.closeSync(fd);
      throw e;
    }
    return new Lock(fd);
  }

  release(): void {
    if (this.fd >= 0) fs.closeSync(this.fd);
    this.fd = -1;
  }
}
