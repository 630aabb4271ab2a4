// The process part of a plan (config.json's /process, or an exec's process):
// the same fields for the container's init and for an exec'd process.
import { CartonError } from '../errors';
import type { Process } from '../spec/types';
import { capsFromSpec } from './caps';
import { RLIMITS } from './linux';
import type { Plan } from './types';

const RLIM_INFINITY = 0xffffffffffffffffn;
/** JSON numbers above 2^53 are not exact: 18446744073709551615 (2^64-1, "infinity") parses to 2^64. */
function rlim(v: number): bigint {
  return v >= 2 ** 64 ? RLIM_INFINITY : BigInt(Math.trunc(v));
}

export type ProcessPart = Pick<
  Plan,
  'cwd' | 'args' | 'env' | 'user' | 'rlimits' | 'caps' | 'noNewPrivileges' | 'oomScoreAdj' | 'terminal'
>;

/** `where` prefixes errors: "config.json: /process" or "process.json: ". */
export function planProcess(proc: Process, where: string): ProcessPart {
  const rlimits = (proc.rlimits ?? []).map((r) => {
    const resource = RLIMITS[r.type];
    if (resource === undefined)
      throw new CartonError(`${where}/rlimits: unknown rlimit type "${r.type}"`, { kind: 'invalid-config' });
    return { resource, soft: rlim(r.soft), hard: rlim(r.hard) };
  });
  return {
    cwd: proc.cwd,
    args: proc.args ?? [],
    env: proc.env ?? [],
    user: {
      uid: proc.user?.uid ?? 0,
      gid: proc.user?.gid ?? 0,
      umask: proc.user?.umask,
      additionalGids: proc.user?.additionalGids ?? [],
    },
    rlimits,
    caps: capsFromSpec(proc.capabilities),
    noNewPrivileges: Boolean(proc.noNewPrivileges),
    oomScoreAdj: proc.oomScoreAdj,
    terminal: proc.terminal ? { rows: proc.consoleSize?.height ?? 0, cols: proc.consoleSize?.width ?? 0 } : undefined,
  };
}
