// The steps behind T_IDMAP_MOUNT, T_NET_DEVICE and the process attributes
// set before the user switch (T_PERSONALITY ... T_MEMORY_POLICY; format:
// src/plan/format.ts): id-mapped mounts, network devices, process attributes.
#pragma once
#include "plan_decode.h"

// idmap.cc, stage A before any namespace is joined: the detached, id-mapped
// clone of every T_IDMAP_MOUNT source, kept in mount->idmap->fd.
void idmap_prepare(plan* p);
// idmap.cc, stage A before any namespace: open_tree(OPEN_TREE_CLONE) of every
// MOUNT_DETACHED_SOURCE bind's source (made rslave), kept in mount->src_fd.
void detached_sources_prepare(plan* p);
// idmap.cc, stage B: move_mount() that clone onto target_fd (an O_PATH fd of
// the resolved mount point). 0 or -1 + errno, like mount(2).
int idmap_attach(const plan_mount* m, int target_fd);

// netdev.cc, stage A before clone: each T_NET_DEVICE link's index and
// permanent global addresses, kept for B (which inherits them via clone).
void net_devices_prepare(const plan* p);
// netdev.cc, stage A after clone: move the links into B's network namespace
// (renamed); on failure B is killed before the error is reported.
void net_devices_move(const plan* p, long pid);
// netdev.cc, stage B: restore the addresses and set the links up.
void net_devices_configure(const plan* p);

// process_attrs.cc, stage B before the user switch: personality(2),
// sched_setattr(2), ioprio_set(2).
void apply_process_attrs(const plan* p);
