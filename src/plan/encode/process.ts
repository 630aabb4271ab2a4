// Plan records of the process concern (decoded by native/init/plan_process.cc):
// init's fds, the terminal, argv, env, cwd, user, rlimits, OOM score and the
// attributes set just before the user switch (personality, scheduler, I/O
// priority, memory policy).
import { NO_UMASK, TAG } from '../format';
import type { Plan } from '../types';
import { P, type Rec } from './payload';

/** T_FDS: written first, so init can find its sync socket before anything else can fail. */
export function encodeFds(p: Plan, rec: Rec): void {
  rec(TAG.FDS, P().u32(p.fds.sync).u32(p.fds.fifo).u32(p.fds.console).u32(p.fds.firstOwn));
}

export function encodeProcess(p: Plan, rec: Rec): void {
  if (p.oomScoreAdj !== undefined) rec(TAG.OOM_SCORE_ADJ, P().i32(p.oomScoreAdj));
  if (p.terminal) rec(TAG.TERMINAL, P().u32(p.terminal.rows).u32(p.terminal.cols));
  rec(TAG.CWD, P().str(p.cwd, 'process.cwd'));
  for (const a of p.args) rec(TAG.ARG, P().str(a, 'process.args'));
  for (const e of p.env) rec(TAG.ENV, P().str(e, 'process.env'));
  const u = P()
    .u32(p.user.uid)
    .u32(p.user.gid)
    .u32(p.user.umask ?? NO_UMASK)
    .u32(p.user.additionalGids.length);
  for (const g of p.user.additionalGids) u.u32(g);
  rec(TAG.USER, u);
  for (const r of p.rlimits) rec(TAG.RLIMIT, P().u32(r.resource).u64(r.soft).u64(r.hard));
  const a = p.attrs;
  if (a?.personality !== undefined) rec(TAG.PERSONALITY, P().u32(a.personality));
  if (a?.scheduler) {
    const s = a.scheduler;
    rec(
      TAG.SCHEDULER,
      P().u32(s.policy).u64(s.flags).i32(s.nice).u32(s.priority).u64(s.runtime).u64(s.deadline).u64(s.period),
    );
  }
  if (a?.ioPriority !== undefined) rec(TAG.IO_PRIORITY, P().u32(a.ioPriority));
  if (a?.memoryPolicy) {
    const b = P().u32(a.memoryPolicy.mode).u32(a.memoryPolicy.flags);
    for (const w of a.memoryPolicy.nodes) b.u64(w);
    rec(TAG.MEMORY_POLICY, b);
  }
}
