// v2 devices: an eBPF BPF_PROG_TYPE_CGROUP_DEVICE program (next commit).
import { warn } from '../../log';
import type { DeviceRule } from '../types';

export function install(_dir: string, rules: DeviceRule[]): void {
  if (rules.length) warn('linux.resources.devices: device rules are not enforced on cgroup v2 by this version of carton');
}
