// checkpoint and restore need CRIU. carton does not implement them yet, and
// on a host where CRIU itself cannot work (this one: `criu check` fails on
// the kernel's vDSO layout) that is said plainly rather than faked.
import { spawnSync } from 'child_process';
import { CartonError, errCode } from '../errors';

/** Why CRIU cannot be used here: its own last error line, or that it is missing. */
export function criuProblem(criu: string): string | undefined {
  const r = spawnSync(criu, ['check'], { encoding: 'utf8', timeout: 30000 });
  const err = r.error;
  if (errCode(err) === 'ENOENT') return `exec: "${criu}": executable file not found in $PATH`;
  if (err) return `${criu} check: ${err.message}`;
  if (r.status === 0) return undefined;
  // CRIU's last lines say what failed and, before them, why: keep three.
  const lines = `${r.stderr}\n${r.stdout}`
    .split('\n')
    .map((l) => l.replace(/^Error \([^)]*\): /, '').trim())
    .filter(Boolean);
  return `criu check failed: ${lines.length ? lines.slice(-3).join('; ') : `exit status ${r.status}`}`;
}

/** Both operations end here: with the reason CRIU is unusable, or that carton lacks the feature. */
export function refuse(op: 'checkpoint' | 'restore', criu: string): never {
  const problem = criuProblem(criu);
  if (problem)
    throw new CartonError(`${op} failed: CRIU is not usable on this host: ${problem}`, { kind: 'host-lacks' });
  throw new CartonError(`${op} failed: ${op} is not supported by this version of carton`, { kind: 'unsupported' });
}
