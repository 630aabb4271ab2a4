// Who may talk to the shim. Its sockets (the ttrpc shim socket and the
// namespace's front door in /run/containerd/s) drive containers as root, so:
// - they are bound under umask 077: the socket file is never, even for an
//   instant between bind and chmod, reachable by group or others;
// - the socket directory is not writable by group or others, whoever made it;
// - every connection's peer (SO_PEERCRED) must be root or the shim's own
//   user (containerd's: it started us), else it is closed unanswered;
// - connections and requests in flight per connection are bounded, so a
//   flood cannot exhaust the one shim that serves a whole namespace.
import * as fs from 'fs';
import type * as net from 'net';
import { addon } from '../native';

export const MAX_CONNECTIONS = 512;
export const MAX_INFLIGHT_PER_CONNECTION = 256;

/** Run `bind` (a listen call that binds synchronously) with umask 077. */
export function withPrivateUmask<T>(bind: () => T): T {
  const old = process.umask(0o077);
  try {
    return bind();
  } finally {
    process.umask(old);
  }
}

/** mkdir -p `dir` 0700; an existing one loses group/other write (sockets in it could be replaced). */
export function secureSocketDir(dir: string): void {
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  const st = fs.statSync(dir);
  const uid = process.getuid?.() ?? 0;
  if (st.uid !== uid && st.uid !== 0) throw new Error(`${dir}: owned by uid ${st.uid}, not by root or uid ${uid}`);
  if (st.mode & 0o022) fs.chmodSync(dir, st.mode & 0o7755);
}

/** Peers allowed: root and the user the shim runs as (containerd's). */
export function peerAllowed(sock: net.Socket): boolean {
  const fd = (sock as unknown as { _handle?: { fd?: number } })._handle?.fd;
  if (fd === undefined || fd < 0) return false;
  try {
    const { uid } = addon().peerCred(fd);
    return uid === 0 || uid === (process.getuid?.() ?? 0);
  } catch {
    return false;
  }
}

/** Closes a connection from a peer that is not allowed; true when it was. */
export function refuseStranger(sock: net.Socket): boolean {
  if (peerAllowed(sock)) return false;
  sock.destroy();
  return true;
}
