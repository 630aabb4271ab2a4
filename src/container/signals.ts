// Signal spellings runc accepts: a number, a name, or a SIG-prefixed name.
import * as os from 'os';
import { CartonError } from '../errors';

export function parseSignal(s: string | number | undefined): number {
  if (s === undefined || s === '') return os.constants.signals.SIGTERM;
  const str = String(s).trim();
  if (/^\d+$/.test(str)) {
    const n = Number(str);
    // 0 is runc's liveness probe: checked, nothing delivered.
    if (n >= 0 && n <= 64) return n;
    throw new CartonError(`invalid signal: ${str}`, { kind: 'usage' });
  }
  const up = str.toUpperCase();
  const name = (up.startsWith('SIG') ? up : `SIG${up}`) as keyof typeof os.constants.signals;
  const rt = /^SIGRTMIN(?:\+(\d+))?$/.exec(name) ?? /^SIGRTMAX(?:-(\d+))?$/.exec(name);
  if (rt) return name.startsWith('SIGRTMIN') ? 34 + Number(rt[1] ?? 0) : 64 - Number(rt[1] ?? 0);
  const n = os.constants.signals[name];
  if (n === undefined) throw new CartonError(`unknown signal "${str}"`, { kind: 'usage' });
  return n;
}
