// v1 devices: the allow/deny list written to devices.allow / devices.deny,
// in order. runc's default rules come after the config's own rules, so a
// leading deny-all cannot take them away. linux.devices nodes add no rule:
// creating a node never grants access to it (runc 1.1.5 does the same).
import type { Controller } from '../driver';
import type { DeviceRule, Resources, Write } from '../types';

/**
 * Devices every container may use whatever the config says: runc 1.1.5's
 * list (mknod of any node; null, zero, full, random, urandom, tty, ptmx,
 * tun; /dev/pts/*). /dev/console is a bind of a pts slave, so 136:* covers it.
 */
export const DEFAULT_ALLOWED: DeviceRule[] = [
  { allow: true, type: 'c', access: 'm' },
  { allow: true, type: 'b', access: 'm' },
  ...[
    [1, 3],
    [1, 5],
    [1, 7],
    [1, 8],
    [1, 9],
    [5, 0],
    [5, 2],
    [10, 200],
  ].map(([major, minor]) => ({ allow: true, type: 'c', major, minor, access: 'rwm' })),
  { allow: true, type: 'c', major: 136, access: 'rwm' },
];

/** The full rule list (v1 files and the v2 eBPF program alike): the config's, then runc's defaults. */
export function deviceRules(r: Resources): DeviceRule[] {
  return [...(r.devices ?? []), ...DEFAULT_ALLOWED];
}

function rule(d: DeviceRule): string {
  const n = (v: number | undefined) => (v === undefined || v === null || v < 0 ? '*' : String(v));
  return `${d.type ?? 'a'} ${n(d.major)}:${n(d.minor)} ${d.access || 'rwm'}`;
}

export function devicesWrites(rules: DeviceRule[], own: number): Write[] {
  return rules.map((d, i) => ({
    field: i < own ? `linux.resources.devices[${i}]` : 'default device rules',
    file: d.allow ? 'devices.allow' : 'devices.deny',
    value: rule(d),
  }));
}

export const devices: Controller = {
  name: 'devices',
  fields: (r) => (r.devices?.length ? ['linux.resources.devices'] : []),
  writes: (r) => devicesWrites(deviceRules(r), r.devices?.length ?? 0),
};
