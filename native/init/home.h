// HOME for the container's process when its environment has none (runc's
// rule): see home.cc.
#pragma once
#include "plan_decode.h"

void set_home(plan* p);
