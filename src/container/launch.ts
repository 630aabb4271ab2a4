// The first steps every carton-init launch shares (create and exec): the
// console socket, spawning init from its sealed memfd (born in the cgroup2
// cgroup where the kernel allows it), putting stage A in the remaining
// (v1) cgroups and letting it clone the process (protocol.h: 'G' -> 'P').
// A failure on the way never leaves stage A waiting.
import { constants as osConstants } from 'os';
import { CartonError, SetupError, errText } from '../errors';
import { debug, phase } from '../log';
import { addon, type WaitStatus } from '../native';
import { initPath } from '../paths';
import * as cgroups from '../cgroups/manager';
import type { CgroupRecord } from '../cgroups/types';
import { InitChannel, MSG } from './init-channel';

export interface ConsoleEnds {
  /** the fd init sends the pty master on (goes into init's fd table) */
  consoleFd?: number;
  /** our end of an internal pair, when we relay the terminal ourselves */
  ours?: number;
}

/**
 * With a terminal, the pty master goes to --console-socket, or (foreground,
 * no socket) back to us over a socketpair. Every fd opened here is pushed to
 * `fds` for the caller to close after the launch.
 */
export function openConsole(
  terminal: boolean,
  relayHere: boolean,
  socketPath: string | undefined,
  fds: number[],
): ConsoleEnds {
  if (terminal && relayHere && !socketPath) {
    const pair = addon().socketPair(false);
    fds.push(pair[1]);
    return { consoleFd: pair[1], ours: pair[0] };
  }
  if (!socketPath) return {};
  let fd: number;
  try {
    fd = addon().connectUnix(socketPath);
  } catch (e) {
    throw new CartonError(`--console-socket ${socketPath}: ${errText(e)}`, { kind: 'usage' });
  }
  fds.push(fd);
  return { consoleFd: fd };
}

/**
 * The cgroup2 directory init can be born in (CLONE_INTO_CGROUP), so that
 * not even its first instruction runs outside the container's cgroup.
 * CARTON_TEST_SPAWN_FALLBACK=1 forces the posix_spawn path: it exists only
 * so that tests can prove the fallback still places init correctly.
 */
function bornInCgroup(rec: CgroupRecord): string | undefined {
  if (process.env.CARTON_TEST_SPAWN_FALLBACK === '1') return undefined;
  // A systemd scope is created with init as its first pid: there is no directory to be born in yet.
  if (rec.systemd && !rec.systemd.started) return undefined;
  return rec.dirs[''] || undefined;
}

/**
 * Spawn carton-init with `table` as fds 3.. (and `stdio` as 0-2, else ours),
 * put stage A in the cgroup, run `beforeGo` (a last check), send 'G' and
 * return the pid of the process stage A cloned, with the channel to it.
 */
export function launchInit(
  plan: Buffer,
  table: number[],
  rec: CgroupRecord,
  what: string,
  beforeGo?: () => void,
  stdio?: [number, number, number],
): { chan: InitChannel; pid: number } {
  const born = bornInCgroup(rec);
  try {
    return launchOnce(plan, table, rec, what, born, beforeGo, stdio);
  } catch (e) {
    if (!(e instanceof KilledAtBirth)) throw e;
    // Linux 6.x (kill_seq): a child cloned with CLONE_INTO_CGROUP into a
    // cgroup that once had cgroup.kill written (a leftover of a container
    // killed with kill --all or delete --force that was never removed) is
    // SIGKILLed before its first instruction, every time. It ran nothing:
    // start it the other way, posix_spawn and then join.
    debug(
      `carton-init was killed at birth in ${born} (a cgroup that once saw cgroup.kill); spawning it with posix_spawn`,
    );
    return launchOnce(plan, table, rec, what, undefined, beforeGo, stdio, 'clone3 child killed at birth');
  }
}

/** carton-init, born by clone3 into its cgroup, died of SIGKILL before it read 'G'. */
class KilledAtBirth extends Error {}

function launchOnce(
  plan: Buffer,
  table: number[],
  rec: CgroupRecord,
  what: string,
  born: string | undefined,
  beforeGo?: () => void,
  stdio?: [number, number, number],
  why = 'no cgroup2 directory to clone into',
): { chan: InitChannel; pid: number } {
  const spawned = addon().spawnInit(initPath, plan, table, born, stdio);
  const chan = new InitChannel(spawned.sync);
  phase('spawn init');
  debug(
    spawned.via === 'clone3'
      ? `init spawned by clone3 into cgroup ${born}`
      : `init spawned by posix_spawn (${born ? `clone3 into cgroup ${born}: ${spawned.fallback}` : why})`,
  );
  let reaped = false;
  try {
    cgroups.addProcess(rec, spawned.pid, spawned.via === 'clone3' ? born : undefined);
    beforeGo?.();
    chan.send(MSG.GO, undefined, what);
    return { chan, pid: chan.expect(MSG.PID, what).body.readUInt32LE(0) };
  } catch (e) {
    // Stage A may still be waiting for 'G' (or be stopped): it must not outlive the failure.
    // If it died on its own, how (a kill at birth, the OOM killer...) is part of the message.
    let st: WaitStatus | null = addon().waitPid(spawned.pid, true);
    if (!st && /^carton-init exited before|no such process/.test((e as Error).message))
      st = addon().waitPid(spawned.pid, false);
    if (!st) {
      try {
        process.kill(spawned.pid, 'SIGKILL');
      } catch {
        // already exited after sending 'E'
      }
      addon().waitPid(spawned.pid, false);
    }
    reaped = true;
    chan.close();
    if (st && st.signal === 9 && spawned.via === 'clone3') throw new KilledAtBirth();
    if (st && st.signal)
      throw new SetupError(`${(e as Error).message} (carton-init was killed by signal ${signalName(st.signal)})`);
    throw e;
  } finally {
    if (!reaped) addon().waitPid(spawned.pid, false);
  }
}

function signalName(n: number): string {
  const name = Object.entries(osConstants.signals).find(([, v]) => v === n)?.[0];
  return name ? name.replace(/^SIG/, '') : String(n);
}
