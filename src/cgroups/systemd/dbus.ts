// A synchronous D-Bus connection to systemd's private socket. carton's
// create path is synchronous (the init handshake blocks between steps), so
// this is a blocking unix socket from the addon read with poll timeouts, not
// a Node stream. The private socket is systemd's own peer-to-peer endpoint
// for root (no bus daemon, so no Hello and no destination routing), the one
// systemctl uses when it runs as root; it needs no dbus-daemon.
import * as fs from 'fs';
import { CartonError, type ErrorKind } from '../../errors';
import { addon } from '../../native';
import { decodeMessage, encodeMessage, Field, messageSize, MsgType, type Message, type Value } from './wire';

export const PRIVATE_SOCKET = '/run/systemd/private';

/** An error reply: `name` is the D-Bus error name (org.freedesktop.systemd1.NoSuchUnit, ...). */
export class DbusError extends CartonError {
  constructor(
    override readonly name: string,
    message: string,
  ) {
    super(message, { kind: DBUS_KIND[name] ?? 'failed' });
  }
}

const DBUS_KIND: Record<string, ErrorKind> = {
  'org.freedesktop.systemd1.NoSuchUnit': 'not-found',
  'org.freedesktop.systemd1.UnitExists': 'exists',
  'org.freedesktop.DBus.Error.AccessDenied': 'denied',
  'org.freedesktop.DBus.Error.Timeout': 'timeout',
};

export class DbusConnection {
  private serial = 0;
  private pending = Buffer.alloc(0);
  /** signals that arrived while waiting for a reply, for waitSignal */
  private signals: Message[] = [];

  private constructor(private readonly fd: number) {}

  /** Connects and authenticates as our uid (SASL EXTERNAL). */
  static connect(socket = PRIVATE_SOCKET, timeoutMs = 5000): DbusConnection {
    const fd = addon().connectUnix(socket);
    const c = new DbusConnection(fd);
    try {
      // AUTH and BEGIN in one write, then wait for OK before any message,
      // as sd-bus clients do: systemd (sd-bus as server) can leave a message
      // that arrived in the same read as BEGIN unprocessed until more data
      // comes, which here never does (seen: one call in a few dozen hung).
      const uid = Buffer.from(String(process.getuid!())).toString('hex');
      c.send(Buffer.from(`\0AUTH EXTERNAL ${uid}\r\nBEGIN\r\n`));
      const line = c.readLine(timeoutMs);
      if (!line.startsWith('OK ')) throw new CartonError(`authentication refused: ${line.trim()}`, { kind: 'denied' });
      return c;
    } catch (e) {
      c.close();
      throw e;
    }
  }

  close(): void {
    try {
      fs.closeSync(this.fd);
    } catch {
      // already closed
    }
  }

  private send(b: Buffer): void {
    for (let off = 0; off < b.length;) off += fs.writeSync(this.fd, b, off);
  }

  /** Reads more bytes into `pending`, waiting at most until `deadline`. */
  private fill(deadline: number): void {
    const left = deadline - Date.now();
    if (left <= 0 || !addon().pollIn(this.fd, left))
      throw new CartonError('systemd did not answer in time', { kind: 'timeout' });
    const chunk = Buffer.alloc(65536);
    const n = fs.readSync(this.fd, chunk);
    if (n === 0) throw new CartonError('systemd closed the connection', { kind: 'failed' });
    this.pending = Buffer.concat([this.pending, chunk.subarray(0, n)]);
  }

  private readLine(timeoutMs: number): string {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const nl = this.pending.indexOf('\r\n');
      if (nl >= 0) {
        const line = this.pending.toString('utf8', 0, nl);
        this.pending = this.pending.subarray(nl + 2);
        return line;
      }
      this.fill(deadline);
    }
  }

  private readMessage(deadline: number): Message {
    for (;;) {
      const size = messageSize(this.pending);
      if (size && this.pending.length >= size) {
        const m = decodeMessage(this.pending.subarray(0, size));
        this.pending = this.pending.subarray(size);
        return m;
      }
      this.fill(deadline);
    }
  }

  /** Calls a method on systemd's manager object (or `path`) and returns the reply body. */
  call(
    iface: string,
    member: string,
    sig: string,
    body: Value[],
    opts: { path?: string; timeoutMs?: number } = {},
  ): Value[] {
    const serial = ++this.serial;
    this.send(
      encodeMessage({
        type: MsgType.METHOD_CALL,
        serial,
        fields: {
          [Field.PATH]: opts.path ?? '/org/freedesktop/systemd1',
          [Field.INTERFACE]: iface,
          [Field.MEMBER]: member,
          [Field.DESTINATION]: 'org.freedesktop.systemd1',
        },
        sig,
        body,
      }),
    );
    const deadline = Date.now() + (opts.timeoutMs ?? 30_000);
    for (;;) {
      const m = this.readMessage(deadline);
      if (m.type === MsgType.SIGNAL) {
        this.signals.push(m);
        continue;
      }
      if (m.fields[Field.REPLY_SERIAL] !== serial) continue;
      if (m.type === MsgType.ERROR) {
        const name = m.fields[Field.ERROR_NAME];
        const text = m.body[0];
        throw new DbusError(
          typeof name === 'string' ? name : 'org.freedesktop.DBus.Error.Failed',
          typeof text === 'string' ? text : 'D-Bus error without a message',
        );
      }
      return m.body;
    }
  }

  /** Waits for a signal `member` whose body satisfies `match`. */
  waitSignal(member: string, match: (body: Value[]) => boolean, timeoutMs = 30_000): Value[] {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const i = this.signals.findIndex((s) => s.fields[Field.MEMBER] === member && match(s.body));
      const [found] = i >= 0 ? this.signals.splice(i, 1) : [];
      if (found) return found.body;
      const m = this.readMessage(deadline);
      if (m.type === MsgType.SIGNAL) this.signals.push(m);
    }
  }
}
