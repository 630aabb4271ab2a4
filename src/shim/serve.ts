// The serving shim: one long-lived process that answers containerd's
// containerd.task.v2.Task calls for every container of its group (see
// address.ts), on the socket `start` bound and passed as fd 3.
import * as fs from 'fs';
import { addon } from '../native';
import type { ShimFlags } from './flags';
import { ShimPublisher } from './publisher';
import { SOCKET_ENV } from './start';
import { TtrpcServer } from './ttrpc/server';
import { registerTyped } from './ttrpc/typed';
import type { ShimContext, TaskServiceFactory } from './types';

export const TASK_SERVICE = 'containerd.task.v2.Task';

/**
 * Log lines to stderr, which is the bundle's `log` fifo that containerd
 * copies into its own log. A reader that went away (the first container's
 * bundle deleted while the shared shim lives on) silences it.
 */
export function shimLogger(debug: boolean): { info(l: string): void; debug(l: string): void } {
  let ok = true;
  const write = (level: string, l: string) => {
    if (!ok) return;
    try {
      fs.writeSync(2, `time="${new Date().toISOString()}" level=${level} msg=${JSON.stringify(l)} runtime=io.containerd.carton.v2 pid=${process.pid}\n`);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EAGAIN') ok = false;
    }
  };
  return { info: (l) => write('info', l), debug: (l) => debug && write('debug', l) };
}

export async function serve(f: ShimFlags, factory: TaskServiceFactory): Promise<void> {
  const log = shimLogger(f.debug);
  const sock = process.env[SOCKET_ENV] ?? '';
  delete process.env[SOCKET_ENV];
  // Container inits re-parent to the shim when their parent goes, so it can reap them.
  addon().setSubreaper(true);
  const ttrpcAddress = process.env.TTRPC_ADDRESS ?? '';
  const publisher = new ShimPublisher({ namespace: f.namespace, ttrpcAddress, publishBinary: f.publishBinary, address: f.address, log: log.info });
  const server = new TtrpcServer();
  server.onError = (e, info) => log.info(`${info.method}: ${(e as Error)?.stack ?? String(e)}`);

  let exiting = false;
  const exit = (why: string) => {
    if (exiting) return;
    exiting = true;
    log.info(`shim exiting: ${why}`);
    // Stop accepting and free the address first, so a `start` racing with
    // this exit binds a fresh shim rather than reaching a dying one.
    void server.close();
    if (sock) fs.rmSync(sock, { force: true });
    void publisher.close().finally(() => {
      // one more turn of the loop so the reply to Shutdown gets written
      setTimeout(() => process.exit(0), 10);
    });
  };
  const ctx: ShimContext = {
    namespace: f.namespace,
    address: f.address,
    ttrpcAddress,
    publishBinary: f.publishBinary,
    debug: f.debug,
    publisher,
    exit: () => exit('shutdown'),
  };
  registerTyped(server, TASK_SERVICE, factory(ctx));
  process.on('SIGTERM', () => exit('SIGTERM'));
  process.on('SIGINT', () => exit('SIGINT'));
  // A shared shim serves many containers: one bad request must not take them all down.
  process.on('uncaughtException', (e) => log.info(`uncaught: ${e.stack ?? e}`));
  process.on('unhandledRejection', (e) => log.info(`unhandled rejection: ${(e as Error)?.stack ?? e}`));
  await server.listen(f.socket ? { path: f.socket } : { fd: 3 });
  log.info(`serving ${TASK_SERVICE} for namespace ${f.namespace}`);
}
