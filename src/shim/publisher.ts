// Task events back to containerd. As containerd 1.6's shim publisher does:
// each event is an Any whose type URL is the bare proto name (typeurl falls
// back to proto.MessageName for containerd's event types, e.g.
// "containerd.events.TaskExit"), wrapped in an Envelope and sent with
// containerd.services.events.ttrpc.v1.Events/Forward to TTRPC_ADDRESS.
// Unlike the Go publisher, which retries failed events out of order from a
// side queue, events here go strictly one after another (TaskExit must never
// overtake TaskStart); a failed send reconnects and retries the same event a
// few times with a growing delay, then drops it with a log line.
// Without a ttrpc address, each event goes through
// `<publish-binary> --address A publish --topic T --namespace NS` with the
// Any on stdin, the older path containerd still supports.
import { spawn } from 'child_process';
import { CartonError, firstLine } from '../errors';
import type { Publisher } from './types';
import { TtrpcClient } from './ttrpc/client';
import { encode } from './ttrpc/proto';

const EVENTS = 'containerd.services.events.ttrpc.v1.Events';
const MAX_ATTEMPTS = 6;

export interface PublisherOptions {
  namespace: string;
  /** containerd's ttrpc socket (TTRPC_ADDRESS); empty: use the binary */
  ttrpcAddress: string;
  /** -publish-binary and -address, for the binary path */
  publishBinary: string;
  address: string;
  /** delay before retry n (1-based); containerd uses n seconds */
  retryDelayMs?: (n: number) => number;
  log?: (line: string) => void;
}

interface Item {
  topic: string;
  any: { typeUrl: string; value: Buffer };
  timestamp: { seconds: number; nanos: number };
}

export class ShimPublisher implements Publisher {
  private readonly queue: Item[] = [];
  private running: Promise<void> | undefined;
  private client: TtrpcClient | undefined;
  private closed = false;

  constructor(private readonly o: PublisherOptions) {}

  publish(topic: string, typeName: string, event: Record<string, unknown>): void {
    if (this.closed) return;
    const now = Date.now();
    this.queue.push({
      topic,
      any: { typeUrl: typeName, value: encode(typeName, event) },
      timestamp: { seconds: Math.floor(now / 1000), nanos: (now % 1000) * 1e6 },
    });
    if (!this.running) this.running = this.drain().finally(() => (this.running = undefined));
  }

  async flush(): Promise<void> {
    while (this.running) await this.running;
  }

  /** Delivers what is queued, then drops the connection. */
  async close(): Promise<void> {
    await this.flush();
    this.closed = true;
    this.client?.close();
    this.client = undefined;
  }

  private async drain(): Promise<void> {
    for (let item = this.queue.shift(); item; item = this.queue.shift()) {
      for (let attempt = 1; ; attempt++) {
        try {
          await this.send(item);
          break;
        } catch (e) {
          this.client?.close();
          this.client = undefined;
          if (attempt >= MAX_ATTEMPTS) {
            this.o.log?.(`publisher: dropping ${item.topic} after ${attempt} attempts: ${(e as Error).message}`);
            break;
          }
          const delay = this.o.retryDelayMs ? this.o.retryDelayMs(attempt) : attempt * 1000;
          await new Promise((r) => setTimeout(r, delay));
        }
      }
    }
  }

  private async send(item: Item): Promise<void> {
    if (!this.o.ttrpcAddress) return this.sendBinary(item);
    if (!this.client || this.client.isClosed) this.client = await TtrpcClient.connect(this.o.ttrpcAddress);
    const envelope = { timestamp: item.timestamp, namespace: this.o.namespace, topic: item.topic, event: item.any };
    await this.client.callRaw(
      EVENTS,
      'Forward',
      encode('containerd.services.events.ttrpc.v1.ForwardRequest', { envelope }),
      5000,
    );
  }

  private sendBinary(item: Item): Promise<void> {
    const args = ['--address', this.o.address, 'publish', '--topic', item.topic, '--namespace', this.o.namespace];
    return new Promise((resolve, reject) => {
      const child = spawn(this.o.publishBinary, args, { stdio: ['pipe', 'ignore', 'pipe'] });
      let err = '';
      child.stderr.on('data', (d) => (err += String(d)));
      child.on('error', reject);
      child.on('close', (code) =>
        code === 0
          ? resolve()
          : reject(
              new CartonError(`${this.o.publishBinary} publish exited ${code}: ${firstLine(err.trim())}`, {
                kind: 'failed',
              }),
            ),
      );
      child.stdin.on('error', () => {});
      child.stdin.end(encode('google.protobuf.Any', item.any));
    });
  }
}
