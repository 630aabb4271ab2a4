// Stage B: the process that becomes the container's process (see protocol.h).
#pragma once
#include "plan_decode.h"

// Runs every in-container step of the plan, reports 'R', waits on the exec
// fifo and execs the process. Never returns.
[[noreturn]] void stage_b(plan* p);
