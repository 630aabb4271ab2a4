// The state JSON runc prints (and engines decode): the runtime-spec state
// plus rootfs, created and owner; pid is 0 once stopped.
import * as fs from 'fs';
import type { StoredState, Store } from '../state/store';
import { statusOf, type Status } from '../state/status';

export interface PublicState {
  ociVersion: string;
  id: string;
  pid: number;
  status: Status;
  bundle: string;
  rootfs: string;
  created: string;
  annotations?: Record<string, string>;
  owner: string;
}

export function publicState(store: Store, s: StoredState, owner = ''): PublicState {
  const status = statusOf(s, store.fifo(s.id));
  const out: PublicState = {
    ociVersion: s.ociVersion,
    id: s.id,
    pid: status === 'stopped' ? 0 : s.pid,
    status,
    bundle: s.bundle,
    rootfs: s.rootfs,
    created: s.created,
    owner,
  };
  if (s.annotations && Object.keys(s.annotations).length) {
    // keep runc's key order: annotations before owner
    const { owner: o, ...rest } = out;
    return { ...rest, annotations: s.annotations, owner: o };
  }
  return out;
}

let users: Map<number, string> | undefined;
/** The owner's user name, or "#uid" as runc prints when there is none. */
export function ownerName(dir: string): string {
  const uid = fs.statSync(dir).uid;
  if (!users) {
    users = new Map();
    try {
      for (const line of fs.readFileSync('/etc/passwd', 'utf8').split('\n')) {
        const [name, , uid] = line.split(':');
        if (name !== undefined && uid !== undefined) users.set(Number(uid), name);
      }
    } catch {
      // no passwd file: numeric owners
    }
  }
  return users.get(uid) ?? `#${uid}`;
}
