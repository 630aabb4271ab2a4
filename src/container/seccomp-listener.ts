// SCMP_ACT_NOTIFY: carton-init sends the listener fd it got from seccomp(2)
// as an 'S' message with SCM_RIGHTS; we hand it, with the container process
// state, to the agent at linux.seccomp.listenerPath (config-linux.md,
// "The Container Process State"): one connection, one state, then close.
import * as fs from 'fs';
import { Deadline } from '../deadline';
import { SetupError, errText } from '../errors';
import { phase } from '../log';
import { addon } from '../native';
import { MSG } from '../plan/format';
import type { SeccompPlan } from '../plan/seccomp';
import type { InitChannel } from './init-channel';

export interface ProcessState {
  ociVersion: string;
  id: string;
  pid: number;
  bundle: string;
  annotations?: Record<string, string>;
}

function receiveListenerFd(chan: InitChannel): number {
  const deadline = new Deadline();
  const next = () => {
    if (!addon().pollIn(chan.fd, Math.max(1, deadline.left())))
      throw deadline.error('carton-init until it sent the seccomp listener fd');
    return addon().recvMsg(chan.fd);
  };
  let m = next();
  // init's --debug phases (MSG.TRACE, protocol.h) may come first.
  while (m.data.toString('latin1', 0, 1) === MSG.TRACE) {
    phase(m.data.subarray(1).toString('utf8'));
    m = next();
  }
  if (m.data.length === 0) throw new SetupError('carton-init exited before it sent the seccomp listener fd');
  const type = m.data.toString('latin1', 0, 1);
  if (type === MSG.ERROR || type !== MSG.SECCOMP || m.fd < 0) {
    if (m.fd >= 0) addon().close(m.fd);
    if (type === MSG.ERROR) throw new SetupError(m.data.subarray(1).toString('utf8').trim());
    throw new SetupError(`carton-init: unexpected message '${type}' while waiting for the seccomp listener fd`);
  }
  return m.fd;
}

export function relaySeccompListener(chan: InitChannel, sc: SeccompPlan, st: ProcessState): void {
  const fd = receiveListenerFd(chan);
  let sock = -1;
  try {
    try {
      sock = addon().connectUnix(sc.listenerPath!);
    } catch (e) {
      // runc's wording (Go's net.Dial error), after the JSON path.
      const why = errText(e).replace(/^connect \S+: /, '');
      throw new SetupError(
        `config.json: /linux/seccomp/listenerPath: failed to connect with seccomp agent specified in the seccomp profile: dial unix ${sc.listenerPath}: connect: ${why.charAt(0).toLowerCase()}${why.slice(1)}`,
        { kind: 'invalid-config' },
      );
    }
    const msg = {
      ociVersion: '1.3.0',
      fds: ['seccompFd'],
      pid: st.pid,
      ...(sc.listenerMetadata !== undefined ? { metadata: sc.listenerMetadata } : {}),
      state: {
        ociVersion: st.ociVersion,
        id: st.id,
        status: 'creating',
        pid: st.pid,
        bundle: st.bundle,
        ...(st.annotations ? { annotations: st.annotations } : {}),
      },
    };
    const data = Buffer.from(JSON.stringify(msg));
    try {
      // The fd goes with the first sendmsg only, as the spec requires.
      let off = addon().sendFd(sock, fd, data);
      while (off < data.length) off += fs.writeSync(sock, data, off);
    } catch (e) {
      throw new SetupError(`send seccomp state to ${sc.listenerPath}: ${errText(e)}`);
    }
  } finally {
    if (sock >= 0) addon().close(sock);
    addon().close(fd);
  }
}
