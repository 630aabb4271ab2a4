// tmpcopyup: see copyup.cc.
#pragma once
#include "plan_decode.h"

// Mounts a tmpfs, filled with a copy of what targetfd (the image's
// directory, resolved inside the root) holds, onto targetfd.
void tmpcopyup_mount(const plan_mount* m, int targetfd);
