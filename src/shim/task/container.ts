// One container the shim serves: its init, its exec processes by execId,
// the rootfs the shim mounted for it, and its OOM watch.
import * as path from 'path';
import { Code, ShimError } from '../types';
import { Proc } from './process';
import { unmountAll } from './mounts';

export class Container {
  readonly execs = new Map<string, Proc>();
  /** the rootfs the shim mounted from Create's mounts, to unmount at Delete */
  mountedRootfs?: string;
  stopOOM?: () => void;
  /** the cgroup dirs (by controller key) of a container sharing the host's pid namespace, to find its orphans */
  sharedPidCgroups?: Array<[string, string]>;

  constructor(
    readonly id: string,
    readonly bundle: string,
    readonly init: Proc,
  ) {}

  get rootfs(): string {
    return path.join(this.bundle, 'rootfs');
  }

  process(execId: string): Proc {
    if (!execId) return this.init;
    const p = this.execs.get(execId);
    if (!p) throw new ShimError(Code.NOT_FOUND, `process ${execId} of container ${this.id}: does not exist`);
    return p;
  }

  all(): Proc[] {
    return [this.init, ...this.execs.values()];
  }

  release(): void {
    this.stopOOM?.();
    this.stopOOM = undefined;
    for (const p of this.all()) {
      p.pty?.close();
      p.io?.close();
    }
    if (this.mountedRootfs) unmountAll(this.mountedRootfs);
    this.mountedRootfs = undefined;
  }
}
