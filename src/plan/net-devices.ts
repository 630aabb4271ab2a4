// linux.netDevices -> plan tag 61: host links carton-init moves into the
// container's new network namespace (renamed when asked), keeping their
// permanent global addresses and setting them up, as runtime-spec 1.3.0 asks.
import * as fs from 'fs';
import { CartonError } from '../errors';
import type { Spec } from '../spec/types';

export interface PlanNetDevice {
  host: string;
  name: string;
}

/** What the kernel's dev_valid_name() accepts (IFNAMSIZ 16 with the NUL). */
function validName(n: string): boolean {
  return n.length > 0 && n.length < 16 && n !== '.' && n !== '..' && !/[/:\s]/.test(n);
}

export function netDevices(spec: Spec): PlanNetDevice[] {
  const devs = spec.linux?.netDevices;
  if (!devs || !Object.keys(devs).length) return [];
  const net = spec.linux?.namespaces?.find((n) => n.type === 'network');
  if (!net || net.path)
    throw new CartonError('config.json: /linux/netDevices: moving network devices needs a new network namespace', {
      kind: 'invalid-config',
    });
  const seen = new Set<string>();
  return Object.entries(devs).map(([host, d]) => {
    const at = `config.json: /linux/netDevices/${host}`;
    const name = d.name || host;
    if (!validName(host))
      throw new CartonError(`${at}: invalid network device name "${host}"`, { kind: 'invalid-config' });
    // "%d" asks the kernel for the first free number, so it may repeat.
    if (!validName(name))
      throw new CartonError(`${at}/name: invalid network device name "${name}"`, { kind: 'invalid-config' });
    // A new network namespace holds only "lo". The kernel would move the
    // link first and fail the rename after, losing it with the namespace.
    if (name === 'lo')
      throw new CartonError(`${at}/name: "lo" already exists in the container's network namespace`, { kind: 'exists' });
    if (!name.includes('%d') && seen.has(name))
      throw new CartonError(`${at}/name: "${name}" is given to two devices`, { kind: 'invalid-config' });
    seen.add(name);
    if (!fs.existsSync(`/sys/class/net/${host}`))
      throw new CartonError(`${at}: no network device "${host}" on the host`, { kind: 'invalid-config' });
    return { host, name };
  });
}
