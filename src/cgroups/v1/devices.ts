// v1 devices: the allow/deny list written to devices.allow / devices.deny,
// in order. runc's default rules and the linux.devices nodes come after the
// config's own rules, so a leading deny-all cannot take them away.
import type { Controller } from '../driver';
import type { DeviceRule, Resources, Write } from '../types';

/** Devices every container may use whatever the config says, as runc adds them. */
export const DEFAULT_ALLOWED: DeviceRule[] = [
  { allow: true, type: 'c', access: 'm' },
  { allow: true, type: 'b', access: 'm' },
  ...[[1, 3], [1, 5], [1, 7], [1, 8], [1, 9], [5, 0], [5, 1], [5, 2], [10, 200]].map(([major, minor]) => ({ allow: true, type: 'c', major, minor, access: 'rwm' })),
  { allow: true, type: 'c', major: 136, access: 'rwm' },
];

/** The full rule list: the config's, then runc's defaults, then one allow per linux.devices node. */
export function deviceRules(r: Resources, nodes: DeviceRule[] = []): DeviceRule[] {
  return [...(r.devices ?? []), ...DEFAULT_ALLOWED, ...nodes];
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

/** Devices need the list of linux.devices nodes too, so the manager passes them in `nodes`. */
export function devices(nodes: DeviceRule[]): Controller {
  return {
    name: 'devices',
    fields: (r) => (r.devices?.length ? ['linux.resources.devices'] : []),
    writes: (r) => devicesWrites(deviceRules(r, nodes), r.devices?.length ?? 0),
  };
}
