// Where a shim listens. As containerd's shims do, the socket is
// /run/containerd/s/<sha256(<containerd address>/<namespace>/<group>)>
// (containerd's default state dir, whatever containerd's own state is).
// The group is the CRI sandbox id when the bundle has one, so a pod's
// containers share their sandbox's shim exactly as with the runc shim.
// Otherwise it is one fixed key per containerd namespace: carton runs ONE
// long-lived shim per namespace and containerd for all plain containers
// (the runc shim runs one per container), which is what keeps carton's
// per-container memory low. The key contains a '/', which no container id
// can, so it never collides with a container's own group.
//
// CRI pods share the namespace's one shim too (GROUP_ENV unset or
// 'namespace'): one Node process serves every pod of the node. A Node
// process costs more than runc's Go shim however little it does, so one
// per pod never beats runc; one for all of them does once there are enough
// pods (bench/pods.sh, README "Pods"). Pod-level accounting does not move:
// the shim is in no pod's cgroup (nor is runc's: its ShimCgroup option is
// per runtime, empty by default), and Stats reads each container's own
// cgroup. GROUP_ENV=pod (containerd's environment) gives each pod its own
// shim, as runc's shim does.
import { createHash } from 'crypto';
import * as fs from 'fs';
import * as net from 'net';
import * as path from 'path';
import { CartonError, errMessage } from '../errors';
import { MAX_CONNECTIONS, refuseStranger, withPrivateUmask } from './peer';

export const SOCKET_DIR = '/run/containerd/s';
/** carton's state roots, one per namespace (<STATE_ROOT>/<namespace>), for the shim's containers */
export const STATE_ROOT = '/run/containerd/carton';
/**
 * The serving shims' own records (tasks, exits; src/shim/keeper.ts), one dir
 * per shim socket. The dot keeps it apart from the namespaces (a containerd
 * namespace cannot start with one).
 */
export function keeperDir(sock: string): string {
  return path.join(STATE_ROOT, '.shim', path.basename(sock));
}
/** Serving shim env: the socket path to remove at exit (it gets the socket itself as fd 3). */
export const SOCKET_ENV = 'CARTON_SHIM_SOCKET';
/** carton's own service on the shim socket (src/shim/ttrpc/lifecycle.proto). */
export const LIFECYCLE_SERVICE = 'carton.shim.v1.Lifecycle';
export const SHARED_GROUP = 'carton/shared';
/** the annotations containerd's runc shim groups by, in its order */
export const GROUP_ANNOTATIONS = ['io.containerd.runc.v2.group', 'io.kubernetes.cri.sandbox-id'];
/** 'pod': one shim per CRI pod; 'namespace' (the default): pods share the namespace's shim */
export const GROUP_ENV = 'CARTON_SHIM_GROUP';
const GROUPINGS = ['namespace', 'pod'];

/** Whether each CRI pod gets its own shim (GROUP_ENV=pod). */
export function shimPerPod(): boolean {
  const v = process.env[GROUP_ENV] || 'namespace';
  if (!GROUPINGS.includes(v))
    throw new CartonError(`${GROUP_ENV}=${v}: expected one of ${GROUPINGS.join(', ')}`, { kind: 'usage' });
  return v === 'pod';
}

/** The group of the bundle in `bundleDir`: its annotation, or the shared key. */
export function groupOf(bundleDir: string): string {
  let spec: { annotations?: Record<string, unknown> };
  try {
    spec = JSON.parse(fs.readFileSync(path.join(bundleDir, 'config.json'), 'utf8'));
  } catch (e) {
    throw new CartonError(`${path.join(bundleDir, 'config.json')}: ${errMessage(e)}`, {
      kind: 'invalid-config',
      cause: e,
    });
  }
  const perPod = shimPerPod();
  for (const a of GROUP_ANNOTATIONS) {
    if (!perPod && a === 'io.kubernetes.cri.sandbox-id') continue;
    const v = spec.annotations?.[a];
    if (typeof v === 'string' && v) return v;
  }
  return SHARED_GROUP;
}

export function socketAddress(containerdAddress: string, namespace: string, group: string): string {
  const d = createHash('sha256')
    .update(path.join(containerdAddress, namespace, group))
    .digest('hex');
  return `unix://${SOCKET_DIR}/${d}`;
}

export function socketPath(address: string): string {
  return address.replace(/^unix:\/\//, '');
}

/**
 * A server listening on the unix socket `p` (rejects with EADDRINUSE and the
 * like): bound under umask 077, peers checked, connections bounded (peer.ts).
 */
export function listenUnix(
  p: string,
  opts: net.ServerOpts = {},
  onConnection?: (s: net.Socket) => void,
): Promise<net.Server> {
  return new Promise((resolve, reject) => {
    const s = net.createServer(opts, (c) => {
      if (!refuseStranger(c)) onConnection?.(c);
    });
    s.maxConnections = MAX_CONNECTIONS;
    s.once('error', reject);
    // net binds a path synchronously inside listen(), so the umask covers the bind.
    withPrivateUmask(() =>
      s.listen(p, () => {
        s.off('error', reject);
        resolve(s);
      }),
    );
  });
}
