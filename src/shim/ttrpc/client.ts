// A ttrpc client: one unix socket connection, concurrent calls on odd
// stream ids (as ttrpc clients number them), replies matched by stream id.
import * as net from 'net';
import { CartonError } from '../../errors';
import { ShimError } from '../types';
import { encodeFrame, FrameReader, REQUEST, RESPONSE } from './frame';
import { decode, encode } from './proto';

export class ClosedError extends CartonError {
  constructor() {
    super('ttrpc: closed', { kind: 'failed' });
  }
}

interface Pending {
  resolve(b: Buffer): void;
  reject(e: Error): void;
}

export class TtrpcClient {
  private next = 1;
  private readonly pending = new Map<number, Pending>();
  private closed = false;

  private constructor(private readonly sock: net.Socket) {
    const reader = new FrameReader();
    sock.on('data', (chunk) => {
      for (const f of reader.push(chunk)) {
        if (f.type !== RESPONSE) continue;
        const p = this.pending.get(f.stream);
        if (!p) continue;
        this.pending.delete(f.stream);
        if (f.oversize !== undefined) {
          p.reject(new ShimError(8, `ttrpc: response of ${f.oversize} bytes is too large`));
          continue;
        }
        try {
          const res = decode('ttrpc.Response', f.payload);
          if (res.status && res.status.code !== 0) p.reject(new ShimError(res.status.code, res.status.message));
          else p.resolve(res.payload as Buffer);
        } catch (e) {
          p.reject(e as Error);
        }
      }
    });
    const fail = () => {
      this.closed = true;
      for (const p of this.pending.values()) p.reject(new ClosedError());
      this.pending.clear();
    };
    sock.on('error', fail);
    sock.on('close', fail);
  }

  /** Connects to a unix socket path (a leading unix:// is accepted). */
  static connect(address: string, timeoutMs = 5000): Promise<TtrpcClient> {
    const p = address.replace(/^unix:\/\//, '');
    return new Promise((resolve, reject) => {
      const sock = net.createConnection({ path: p });
      const timer = setTimeout(() => {
        sock.destroy();
        reject(new CartonError(`ttrpc: connect ${p}: timed out`, { kind: 'timeout' }));
      }, timeoutMs);
      sock.once('connect', () => {
        clearTimeout(timer);
        sock.removeAllListeners('error');
        resolve(new TtrpcClient(sock));
      });
      sock.once('error', (e) => {
        clearTimeout(timer);
        reject(e);
      });
    });
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /** One unary call with raw payload bytes. */
  callRaw(service: string, method: string, payload: Uint8Array, timeoutMs = 0): Promise<Buffer> {
    if (this.closed) return Promise.reject(new ClosedError());
    const stream = this.next;
    this.next += 2;
    const req = encode('ttrpc.Request', { service, method, payload, timeoutNano: timeoutMs * 1e6 });
    return new Promise<Buffer>((resolve, reject) => {
      let timer: NodeJS.Timeout | undefined;
      const done = (f: () => void) => {
        if (timer) clearTimeout(timer);
        f();
      };
      this.pending.set(stream, { resolve: (b) => done(() => resolve(b)), reject: (e) => done(() => reject(e)) });
      if (timeoutMs > 0) {
        timer = setTimeout(() => {
          this.pending.delete(stream);
          reject(new CartonError(`ttrpc: ${service}/${method}: timed out after ${timeoutMs} ms`, { kind: 'timeout' }));
        }, timeoutMs);
      }
      try {
        this.sock.write(encodeFrame(stream, REQUEST, req));
      } catch (e) {
        this.pending.delete(stream);
        done(() => reject(e instanceof Error ? e : new CartonError(String(e), { kind: 'internal' })));
      }
    });
  }

  /** One unary call with protobuf types: request and response as plain objects. */
  async call(
    service: string,
    method: string,
    requestType: string,
    responseType: string,
    req: Record<string, unknown>,
    timeoutMs = 0,
  ): Promise<Record<string, any>> {
    const out = await this.callRaw(service, method, encode(requestType, req), timeoutMs);
    return decode(responseType, out);
  }

  close(): void {
    this.closed = true;
    this.sock.destroy();
  }
}
