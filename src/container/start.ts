// `start`: release a created container by writing one byte to its exec fifo,
// which its init blocks reading; then the fifo goes, and with it "created".
import * as fs from 'fs';
import { CartonError, errCode } from '../errors';
import type { Store } from '../state/store';
import { statusOf } from '../state/status';

export function start(store: Store, id: string): void {
  const lock = store.lock(id, true);
  try {
    const s = store.read(id);
    const fifo = store.fifo(id);
    const status = statusOf(s, fifo);
    if (status === 'running' || status === 'paused') throw new CartonError('cannot start an already running container');
    if (status === 'stopped') throw new CartonError('cannot start a container that has stopped');
    let fd: number;
    try {
      // Non-blocking: if init is gone there is no reader and open fails (ENXIO).
      fd = fs.openSync(fifo, fs.constants.O_WRONLY | fs.constants.O_NONBLOCK);
    } catch (e) {
      if (errCode(e) === 'ENXIO') throw new CartonError('cannot start a container that has stopped');
      throw e;
    }
    try {
      fs.writeSync(fd, Buffer.from([0]));
    } finally {
      fs.closeSync(fd);
    }
    fs.unlinkSync(fifo);
  } finally {
    lock.release();
  }
}
