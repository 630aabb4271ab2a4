// The steps behind plan tags 60-69 (plan.h): id-mapped mounts, network
// devices and the process attributes set before the user switch.
#pragma once
#include "plan_decode.h"

// idmap.cc, stage A before any namespace is joined: the detached, id-mapped
// clone of every T_IDMAP_MOUNT source, kept in mount->idmap->fd.
void idmap_prepare(plan* p);
// idmap.cc, stage B: move_mount() that clone onto target_fd (an O_PATH fd of
// the resolved mount point). 0 or -1 + errno, like mount(2).
int idmap_attach(const plan_mount* m, int target_fd);
