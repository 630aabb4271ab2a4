// Plan records of the lifecycle concern (decoded by native/init/plan_lifecycle.cc):
// `carton exec`, the pause for the runtime hooks, the hooks init runs itself
// and the --debug phase trace.
import { TAG } from '../format';
import type { Plan } from '../types';
import { P, type Rec } from './payload';

export function encodeLifecycle(p: Plan, rec: Rec): void {
  if (p.exec) rec(TAG.EXEC);
  if (p.hooksPause) rec(TAG.HOOKS_PAUSE);
  if (p.trace) rec(TAG.TRACE);
  for (const h of p.hooks ?? []) {
    const b = P().u32(h.kind).u32(h.timeout).u32(h.args.length).u32(h.env.length).lstr(h.path, 'hooks path');
    for (const a of h.args) b.lstr(a, 'hooks args');
    for (const e of h.env) b.lstr(e, 'hooks env');
    rec(TAG.HOOK, b);
  }
}
