// The plan: the one flat, fully resolved description of a container that the
// TypeScript side (src/plan/encode/) hands to carton-init on an inherited fd.
// TypeScript makes every decision; carton-init only carries the plan out, so
// nothing here is optional "policy": each record is an instruction.
//
// The format (header, record framing, every tag and its payload layout) is
// defined once, in src/plan/format.ts; plan_format.h, which this includes, is
// generated from it at build time (scripts/gen-plan-format.mjs, run by
// binding.gyp before the native sources compile). It gives the T_* tags,
// PLAN_MAGIC/PLAN_VERSION/PLAN_NO_FD/PLAN_NO_UMASK, enum mount_kind,
// hook_kind and seccomp_stage, the MSG_* protocol codes, and
// plan_tag_concern()/plan_tag_repeated(). Add a tag there, never here.
#pragma once
#include <stdint.h>

#include "plan_format.h"
