// A ttrpc server on a unix socket: many connections, many concurrent
// streams per connection, each request dispatched by service and method to
// a handler; the reply is a ttrpc Response{status, payload}. Handlers see and
// return payload bytes; src/shim/ttrpc/typed.ts puts protobuf types on top.
import * as net from 'net';
import { errMessage, firstLine } from '../../errors';
import { MAX_CONNECTIONS, MAX_INFLIGHT_PER_CONNECTION, refuseStranger, withPrivateUmask } from '../peer';
import { Code, ShimError } from '../types';
import { encodeFrame, FrameReader, MAX_MESSAGE, REQUEST, RESPONSE } from './frame';
import { decode, encode } from './proto';

const RESOURCE_EXHAUSTED = 8;

export interface CallInfo {
  service: string;
  method: string;
  timeoutNano: number;
  metadata: Array<{ key: string; value: string }>;
}

export type Handler = (payload: Buffer, info: CallInfo) => Promise<Uint8Array>;

/**
 * How connections and requests outlive this process (src/shim/keeper.ts):
 * each connection is named (and its fd held elsewhere) when accepted and
 * released when closed; a request is recorded until answered when
 * `afterCrash` says what a successor that adopts the connection does with
 * it: 'redo' it (idempotent, e.g. Wait) or 'fail' it (its effect unknown),
 * so that no caller waits forever for an answer that died with us.
 */
export type AfterCrash = 'redo' | 'fail' | undefined;

export interface ConnectionKeeper {
  accepted(sock: net.Socket): string | undefined;
  closed(label: string): void;
  afterCrash(info: CallInfo): AfterCrash;
  park(label: string, stream: number, payload: Buffer, then: 'redo' | 'fail'): void;
  unpark(label: string, stream: number): void;
}

export interface Pending {
  stream: number;
  payload: Buffer;
  then: 'redo' | 'fail';
}

export class TtrpcServer {
  private readonly services = new Map<string, Map<string, Handler>>();
  private readonly sockets = new Set<net.Socket>();
  private server?: net.Server;
  /** called with each handler failure that was not a ShimError (for the log) */
  onError: (e: unknown, info: CallInfo) => void = () => {};
  keeper?: ConnectionKeeper;
  /** called with each request a dead predecessor left unanswered and that was failed, to undo what it may have done */
  onAbandoned: (service: string, method: string, payload: Buffer) => void = () => {};

  register(service: string, handlers: Record<string, Handler>): void {
    const m = this.services.get(service) ?? new Map<string, Handler>();
    for (const [name, h] of Object.entries(handlers)) m.set(name, h);
    this.services.set(service, m);
  }

  /** Serves on a listening socket inherited as `fd`, or binds `path`. */
  listen(target: { fd: number } | { path: string }): Promise<void> {
    const server = net.createServer((sock) => {
      if (!refuseStranger(sock)) this.serve(sock, this.keeper?.accepted(sock));
    });
    server.maxConnections = MAX_CONNECTIONS;
    this.server = server;
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      withPrivateUmask(() =>
        server.listen(target, () => {
          server.off('error', reject);
          resolve();
        }),
      );
    });
  }

  /** Stops accepting; with `destroy`, drops open connections too. */
  close(destroy = false): Promise<void> {
    if (destroy) for (const s of this.sockets) s.destroy();
    return new Promise((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  get connections(): number {
    return this.sockets.size;
  }

  /**
   * Serves a connection a dead predecessor accepted (its fd kept for us),
   * and answers the requests it had not answered: again, or with an
   * error. A frame it had half read or half written is lost with it.
   */
  adopt(fd: number, label: string, pending: Pending[]): void {
    const sock = new net.Socket({ fd, readable: true, writable: true });
    this.serve(sock, label);
    for (const p of pending) {
      if (p.then === 'redo') void this.dispatch(sock, p.stream, p.payload, label);
      else {
        this.reply(
          sock,
          p.stream,
          Code.UNAVAILABLE,
          'the shim restarted while serving this request: its outcome is unknown',
        );
        this.keeper?.unpark(label, p.stream);
        try {
          const req = decode('ttrpc.Request', p.payload);
          this.onAbandoned(String(req.service), String(req.method), Buffer.from(req.payload ?? []));
        } catch {
          // not a request we can read: nothing to undo
        }
      }
    }
  }

  private serve(sock: net.Socket, label?: string): void {
    this.sockets.add(sock);
    const reader = new FrameReader();
    let inflight = 0;
    sock.on('data', (chunk) => {
      for (const f of reader.push(chunk)) {
        if (f.type !== REQUEST) continue; // ttrpc ignores what it does not expect
        if (f.oversize !== undefined) {
          this.reply(
            sock,
            f.stream,
            RESOURCE_EXHAUSTED,
            `ttrpc: message length ${f.oversize} exceeds maximum message size of ${MAX_MESSAGE}`,
          );
          continue;
        }
        if (inflight >= MAX_INFLIGHT_PER_CONNECTION) {
          this.reply(
            sock,
            f.stream,
            RESOURCE_EXHAUSTED,
            `ttrpc: more than ${MAX_INFLIGHT_PER_CONNECTION} requests in flight on one connection`,
          );
          continue;
        }
        inflight++;
        void this.dispatch(sock, f.stream, f.payload, label).finally(() => inflight--);
      }
    });
    sock.on('error', () => sock.destroy());
    sock.on('close', () => {
      this.sockets.delete(sock);
      if (label) this.keeper?.closed(label);
    });
  }

  private async dispatch(sock: net.Socket, stream: number, payload: Buffer, label?: string): Promise<void> {
    let info: CallInfo = { service: '', method: '', timeoutNano: 0, metadata: [] };
    let parked = false;
    try {
      const req = decode('ttrpc.Request', payload);
      info = { service: req.service, method: req.method, timeoutNano: req.timeoutNano, metadata: req.metadata };
      const then = label ? this.keeper?.afterCrash(info) : undefined;
      if (then) {
        this.keeper!.park(label!, stream, payload, then);
        parked = true;
      }
      const service = this.services.get(req.service);
      if (!service) throw new ShimError(Code.UNIMPLEMENTED, `service ${String(req.service)}`);
      const handler = service.get(req.method);
      if (!handler) throw new ShimError(Code.UNIMPLEMENTED, `method ${String(req.method)}`);
      const out = await handler(req.payload, info);
      this.reply(sock, stream, 0, '', out);
    } catch (e) {
      if (!(e instanceof ShimError)) this.onError(e, info);
      const code = e instanceof ShimError ? e.code : Code.UNKNOWN;
      const message = firstLine(errMessage(e));
      this.reply(sock, stream, code, message);
    } finally {
      if (parked) this.keeper?.unpark(label!, stream);
    }
  }

  private reply(
    sock: net.Socket,
    stream: number,
    code: number,
    message: string,
    payload: Uint8Array = Buffer.alloc(0),
  ): void {
    if (sock.destroyed) return;
    let frame: Buffer;
    try {
      frame = encodeFrame(stream, RESPONSE, encode('ttrpc.Response', { status: { code, message }, payload }));
    } catch (e) {
      frame = encodeFrame(
        stream,
        RESPONSE,
        encode('ttrpc.Response', { status: { code: RESOURCE_EXHAUSTED, message: (e as Error).message } }),
      );
    }
    sock.write(frame);
  }
}
