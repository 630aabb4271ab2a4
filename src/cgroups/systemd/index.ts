// --systemd-cgroup: systemd owns the container's cgroup as a transient scope
// unit, started over D-Bus with the container's init as its first PID (a
// scope cannot exist empty, so this happens once init is spawned, not at
// mkdir time), stopped at delete. Placement in hierarchies systemd does not
// manage, and every resource file, are then the cgroupfs code's, as runc
// does it. Without systemd as PID 1 it is an error, never a silent cgroupfs.
import * as fs from 'fs';
import { SetupError } from '../../errors';
import type { CgroupLayout } from '../mounts';
import type { Resources } from '../types';
import { DbusConnection, DbusError, PRIVATE_SOCKET } from './dbus';
import { resourceProperties, scopeProperties, unitFor, type Unit } from './unit';
import type { Value } from './wire';

export { unitFor, type Unit };

const MANAGER = 'org.freedesktop.systemd1.Manager';

/** The scope's name is taken: it belongs to someone else, who must keep it. */
export class UnitExistsError extends SetupError {
  constructor(message: string) {
    super(message, { kind: 'exists' });
  }
}

/** Why --systemd-cgroup cannot be honoured here, or undefined when it can (sd_booted()'s test, then the socket). */
export function unavailable(): string | undefined {
  if (!fs.existsSync('/run/systemd/system')) {
    return '--systemd-cgroup: systemd is not running as PID 1 on this host (no /run/systemd/system); use the cgroupfs driver';
  }
  if (!fs.existsSync(PRIVATE_SOCKET))
    return `--systemd-cgroup: systemd's private D-Bus socket ${PRIVATE_SOCKET} is missing`;
  return undefined;
}

function connect(what: string): DbusConnection {
  try {
    return DbusConnection.connect();
  } catch (e) {
    throw new SetupError(`systemd: ${what}: connect ${PRIVATE_SOCKET}: ${(e as Error).message}`);
  }
}

/**
 * Runs a job-returning manager method and waits for the job to finish, as
 * runc does: the unit's cgroup exists (start) or is gone (stop) only then.
 */
function runJob(conn: DbusConnection, member: string, sig: string, body: Value[]): string {
  // Before the call, so the JobRemoved signal cannot be missed.
  conn.call(MANAGER, 'Subscribe', '', []);
  const [job] = conn.call(MANAGER, member, sig, body);
  const [, , , result] = conn.waitSignal('JobRemoved', (s) => s[1] === job);
  // JobRemoved is (uoss): the fourth member is the job's result string.
  return typeof result === 'string' ? result : '';
}

export function startUnit(unit: Unit, pid: number, r: Resources | undefined, layout: CgroupLayout): void {
  const conn = connect(`start ${unit.name}`);
  try {
    const result = runJob(conn, 'StartTransientUnit', 'ssa(sv)a(sa(sv))', [
      unit.name,
      'replace',
      scopeProperties(unit, pid, r, layout),
      [],
    ]);
    if (result !== 'done') throw new SetupError(`systemd: start ${unit.name}: job ${result}`);
  } catch (e) {
    if (e instanceof DbusError) {
      if (e.name === 'org.freedesktop.systemd1.UnitExists') {
        throw new UnitExistsError(
          `systemd: start ${unit.name} in ${unit.slice}: the unit already exists (another container with this cgroupsPath?)`,
        );
      }
      throw new SetupError(`systemd: start ${unit.name} in ${unit.slice}: ${e.message}`);
    }
    if (e instanceof SetupError) throw e;
    throw new SetupError(`systemd: start ${unit.name}: ${(e as Error).message}`);
  } finally {
    conn.close();
  }
}

/** `update`: the unit's properties follow the new resources (runtime only, as runc). */
export function setProperties(unit: Unit, r: Resources, layout: CgroupLayout): void {
  const props = resourceProperties(r, layout);
  if (!props.length) return;
  const conn = connect(`update ${unit.name}`);
  try {
    conn.call(MANAGER, 'SetUnitProperties', 'sba(sv)', [unit.name, true, props]);
  } catch (e) {
    throw new SetupError(`systemd: set properties of ${unit.name}: ${(e as Error).message}`);
  } finally {
    conn.close();
  }
}

/** Stops the scope (its processes are already gone or killed) and forgets a failed state. Gone already is fine. */
export function stopUnit(unit: Unit): void {
  const conn = connect(`stop ${unit.name}`);
  try {
    try {
      const result = runJob(conn, 'StopUnit', 'ss', [unit.name, 'replace']);
      if (result !== 'done') throw new SetupError(`systemd: stop ${unit.name}: job ${result}`);
    } catch (e) {
      if (!(e instanceof DbusError && e.name === 'org.freedesktop.systemd1.NoSuchUnit')) throw e;
    }
    try {
      conn.call(MANAGER, 'ResetFailedUnit', 's', [unit.name]);
    } catch {
      // not failed, or already gone: nothing to reset
    }
  } catch (e) {
    if (e instanceof SetupError) throw e;
    throw new SetupError(`systemd: stop ${unit.name}: ${(e as Error).message}`);
  } finally {
    conn.close();
  }
}
