// `containerd-shim-carton-v2 ... start`: containerd runs it in the bundle
// directory and reads the shim's ttrpc address from its stdout (stdout and
// stderr combined: the serving shim must hold neither, or containerd waits
// for it). If a live shim already serves this bundle's group, its address
// is the answer; otherwise the socket is bound here and handed to a new,
// detached carton-keeper as fd 3 (as containerd 1.6's runc shim hands it
// to the serving shim), which runs the serving shim as its child and
// survives its crashes (src/shim/keeper.ts).
import { spawn } from 'child_process';
import * as fs from 'fs';
import * as net from 'net';
import * as path from 'path';
import { CartonError, errMessage } from '../errors';
import type { ShimFlags } from './flags';
import {
  groupOf,
  keeperDir,
  LIFECYCLE_SERVICE,
  listenUnix,
  SOCKET_DIR,
  SOCKET_ENV,
  socketAddress,
  socketPath,
} from './address';
import { SERVE_NODE_FLAGS } from './node-flags';
import { atomicWrite } from '../state/store';
import { nativeDir } from '../paths';
import { KEEPER_ENV } from './keeper';
import { secureSocketDir } from './peer';
import { ClosedError, TtrpcClient } from './ttrpc/client';
import { encode } from './ttrpc/proto';
import { Code, ShimError } from './types';

/**
 * Asks the shim on `address` to stay for the container being started:
 * 'held' when it will (or when it is alive but does not say), 'exiting'
 * when it is on its way out, 'dead' when nothing accepts the connection.
 */
async function hold(address: string): Promise<'held' | 'exiting' | 'dead'> {
  let client: TtrpcClient;
  try {
    client = await TtrpcClient.connect(address, 2000);
  } catch {
    return 'dead';
  }
  try {
    await client.callRaw(LIFECYCLE_SERVICE, 'Hold', encode('google.protobuf.Empty', {}), 5000);
    return 'held';
  } catch (e) {
    if (e instanceof ClosedError || (e instanceof ShimError && e.code === Code.UNAVAILABLE)) return 'exiting';
    // It answers but not to Hold (slow, or an older shim): alive, as runc's CanConnect would say.
    return 'held';
  } finally {
    client.close();
  }
}

/**
 * The address of a live shim that holds the group of the bundle in `bundle`
 * for one more container (written to the bundle's `address` file), or
 * undefined when no shim serves that group. The front door (frontdoor.ts)
 * answers a relayed `start` with it.
 */
export async function heldAddress(f: ShimFlags, bundle: string): Promise<string | undefined> {
  const address = socketAddress(f.address, f.namespace, groupOf(bundle));
  if (!fs.existsSync(socketPath(address)) || (await hold(address)) !== 'held') return undefined;
  atomicWrite(path.join(bundle, 'address'), address);
  return address;
}

/** Returns the address to print. `self` is the executable to run as the serving shim. */
export async function startShim(f: ShimFlags, self: string): Promise<string> {
  const bundle = f.bundle || process.cwd();
  const address = socketAddress(f.address, f.namespace, groupOf(bundle));
  const sock = socketPath(address);
  const addressFile = path.join(bundle, 'address');
  secureSocketDir(SOCKET_DIR);

  let server: net.Server | undefined;
  for (let attempt = 0; !server; attempt++) {
    try {
      server = await listenUnix(sock);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EADDRINUSE')
        throw new CartonError(`create new shim socket: ${errMessage(e)}`, { cause: e });
      const live = await hold(address);
      if (live === 'held') {
        atomicWrite(addressFile, address);
        return address;
      }
      if (attempt >= 20)
        throw new CartonError(`try create new shim socket ${attempt + 1}x: ${errMessage(e)}`, { cause: e });
      // A dead shim's socket: take its place. An exiting one removes its own.
      if (live === 'dead') fs.rmSync(sock, { force: true });
      else await new Promise((r) => setTimeout(r, 50));
    }
  }
  let logFd: number | undefined;
  try {
    fs.chmodSync(sock, 0o600);
    atomicWrite(addressFile, address);
    // containerd reads the bundle's `log` fifo into its own log; the serving
    // shim's stderr goes there (non-blocking: a shim must never stall on it).
    try {
      logFd = fs.openSync(path.join(bundle, 'log'), fs.constants.O_WRONLY | fs.constants.O_NONBLOCK);
    } catch {
      logFd = undefined;
    }
    const fd = (server as unknown as { _handle: { fd: number } })._handle.fd;
    const args = [
      self,
      '-namespace',
      f.namespace,
      '-id',
      f.id,
      '-address',
      f.address,
      '-publish-binary',
      f.publishBinary,
    ];
    if (f.debug) args.push('-debug');
    // A dead shim's records (it had this socket) are not the new one's to adopt.
    const stateDir = keeperDir(sock);
    fs.rmSync(stateDir, { recursive: true, force: true });
    fs.mkdirSync(path.dirname(stateDir), { recursive: true, mode: 0o700 });
    // setsid (detached): the shim outlives this process and containerd's process group.
    const child = spawn(
      path.join(nativeDir, 'carton-keeper'),
      [stateDir, process.execPath, ...SERVE_NODE_FLAGS, ...args],
      {
        detached: true,
        stdio: ['ignore', 'ignore', logFd ?? 'ignore', fd],
        cwd: '/',
        env: { ...process.env, [SOCKET_ENV]: sock, [KEEPER_ENV]: stateDir },
      },
    );
    await new Promise<void>((resolve, reject) => {
      child.once('spawn', resolve);
      child.once('error', reject);
    });
    adjustOomScore(child.pid!);
    child.unref();
  } catch (e) {
    fs.rmSync(sock, { force: true });
    throw e;
  } finally {
    if (logFd !== undefined) fs.closeSync(logFd);
  }
  // Not server.close(): libuv would unlink the socket the new shim now serves.
  return address;
}

/** As containerd's shims: one more than containerd's, so the OOM killer picks the shim first. */
function adjustOomScore(pid: number): void {
  try {
    const parent = Number(fs.readFileSync(`/proc/${process.ppid}/oom_score_adj`, 'utf8').trim());
    fs.writeFileSync(`/proc/${pid}/oom_score_adj`, String(Math.min(parent + 1, 1000)));
  } catch {
    // not fatal: the Go shim only warns too
  }
}
