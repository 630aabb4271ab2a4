// The hooks carton-init runs itself (hooks.cc): createContainer, in the
// container's namespaces before pivot_root, and startContainer, inside the
// container right before the process execs. The runtime-namespace hooks
// (prestart, createRuntime, poststart, poststop) are run by the CLI.
#pragma once
#include "plan_decode.h"

// T_HOOKS_PAUSE: sends 'H', waits for the parent's 'C' and keeps the two
// state documents it carries in p->state_create / p->state_start.
void hooks_pause(plan* p);

// Runs every hook of `kind` in plan order with `state` on its stdin. Returns
// NULL, or runc's error text for the first hook that failed or timed out.
const char* run_hooks(const plan* p, uint32_t kind, const char* state);
