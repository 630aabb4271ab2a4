// The front door: how `containerd-shim-carton-v2 start|delete` avoids a Node
// start-up per container. containerd runs the shim binary once per container
// (`start`, and `delete` after a shim died); Node's start-up alone costs
// more than the whole runc shim invocation. So the binary containerd runs is
// a tiny C relay (native/shim-relay/relay.c) that hands the invocation to a
// serving shim already running for the same containerd and namespace, which
// answers from its warm process:
//
//   relay (argv, cwd)                          serving shim (this file)
//   ─────────────────                          ────────────────────────
//   connect /run/containerd/s/carton-<key>  ─▶ accept
//   "carton-relay/1\0" cwd "\0" argv[1..]
//   each "\0"-terminated; shutdown(WR)     ─▶ parseFlags(argv)
//                                              start:  a live shim holds the
//                                                      bundle's group? its address
//                                              delete: deleteShim(), in-process
//                                          ◀─ 'R' code:u8 len:u32be stdout stderr…
//                                          ◀─ 'F' (or EOF, or anything else)
//   'R': write stdout/stderr, exit code
//   'F': exec node bin/containerd-shim-carton-v2.js with the same argv
//
// <key> is FNV-1a 64 of `<containerd address>\0<namespace>`, as 16 hex digits
// (the relay computes it without a hash library). A `start` that needs a NEW
// shim (the first container of a namespace or of a CRI pod) always takes the
// fall-back: spawning a shim needs containerd's environment, which only the
// invocation itself has. Every failure on either side falls back too, so
// errors are worded in one place (src/shim/main.ts); both actions are
// idempotent, so running one twice after a lost answer is harmless.
import * as fs from 'fs';
import * as net from 'net';
import { listenUnix, SOCKET_DIR } from './address';
import { deleteShim } from './delete';
import { parseFlags } from './flags';
import { heldAddress } from './start';

export const RELAY_MAGIC = 'carton-relay/1';

/** FNV-1a, 64 bits: the relay's C computes the same in five lines. */
export function fnv1a64(data: Buffer): string {
  let h = 0xcbf29ce484222325n;
  for (const b of data) h = BigInt.asUintN(64, (h ^ BigInt(b)) * 0x100000001b3n);
  return h.toString(16).padStart(16, '0');
}

export function frontDoorPath(containerdAddress: string, namespace: string): string {
  return `${SOCKET_DIR}/carton-${fnv1a64(Buffer.from(`${containerdAddress}\0${namespace}`))}`;
}

/** One relayed invocation's answer; undefined: the relay must fall back to Node. */
export async function answer(payload: Buffer, namespace: string): Promise<Buffer | undefined> {
  const parts = payload.toString().split('\0');
  if (parts.pop() !== '' || parts[0] !== RELAY_MAGIC) return undefined;
  const [, cwd, ...argv] = parts;
  if (cwd === undefined) return undefined;
  const f = parseFlags(argv);
  // Only this shim's namespace: another's front door has another path anyway.
  if (f.namespace !== namespace || f.version) return undefined;
  const bundle = f.bundle || cwd;
  let stdout: Buffer;
  let stderr = '';
  if (f.action === 'start') {
    const address = await heldAddress(f, bundle);
    if (!address) return undefined;
    stdout = Buffer.from(address);
  } else if (f.action === 'delete') {
    stdout = deleteShim(f, bundle, (l) => (stderr += `${l}\n`));
  } else {
    return undefined;
  }
  const head = Buffer.alloc(6);
  head.write('R', 0);
  head.writeUInt8(0, 1);
  head.writeUInt32BE(stdout.length, 2);
  return Buffer.concat([head, stdout, Buffer.from(stderr)]);
}

export interface FrontDoor {
  /** Binds the front door if no live shim holds it; true when this shim serves it. */
  claim(): Promise<boolean>;
  /** Stops serving and removes the socket (only if this shim bound it). */
  close(): void;
}

export function frontDoor(containerdAddress: string, namespace: string, log: (l: string) => void): FrontDoor {
  const p = frontDoorPath(containerdAddress, namespace);
  let server: net.Server | undefined;
  let ino = 0;
  let claiming: Promise<boolean> | undefined;
  let closed = false;

  const onConnection = (sock: net.Socket) => {
    const chunks: Buffer[] = [];
    let size = 0;
    sock.on('error', () => sock.destroy());
    sock.on('data', (c) => {
      size += c.length;
      if (size > 1 << 20) sock.destroy();
      else chunks.push(c);
    });
    sock.on('end', () => {
      answer(Buffer.concat(chunks), namespace)
        .catch((e) => {
          log(`front door: ${(e as Error).message}; the relay falls back`);
          return undefined;
        })
        .then((reply) => sock.end(reply ?? Buffer.from('F')))
        .catch(() => sock.destroy());
    });
  };

  const alive = () =>
    new Promise<boolean>((resolve) => {
      const c = net.connect(p);
      c.once('connect', () => {
        c.destroy();
        resolve(true);
      });
      c.once('error', () => resolve(false));
    });

  const tryClaim = async (): Promise<boolean> => {
    if (server || closed) return !!server;
    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        // allowHalfOpen: the relay shuts its side down after the request; the answer comes after.
        const s = await listenUnix(p, { allowHalfOpen: true }, onConnection);
        ino = fs.statSync(p).ino;
        if (closed) {
          // the shim began exiting while this bind was on its way
          s.close();
          fs.rmSync(p, { force: true });
          return false;
        }
        fs.chmodSync(p, 0o600);
        server = s;
        return true;
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EADDRINUSE') {
          log(`front door ${p}: ${(e as Error).message}`);
          return false;
        }
        // Another shim of the namespace serves it; a dead one's socket is taken over.
        if (await alive()) return false;
        fs.rmSync(p, { force: true });
      }
    }
    return false;
  };

  return {
    claim() {
      claiming ??= tryClaim().finally(() => (claiming = undefined));
      return claiming;
    },
    close() {
      closed = true;
      if (!server) return;
      server.close();
      server = undefined;
      // Unlink only our own socket: a successor may already have bound the path.
      try {
        if (fs.statSync(p).ino === ino) fs.rmSync(p, { force: true });
      } catch {
        // already gone
      }
    },
  };
}
