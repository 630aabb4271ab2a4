// Id-mapped mounts (mounts[].uidMappings/gidMappings, options idmap/ridmap).
// carton-init's stage A makes a user namespace holding these maps, clones
// the source with open_tree(OPEN_TREE_CLONE), sets MOUNT_ATTR_IDMAP on the
// detached copy and hands it to stage B, which move_mount()s it onto the
// target (native/init/idmap.cc). The maps are written as given, as runc and
// crun do: an id `containerID` on disk is seen as `hostID` through the mount.
import { CartonError } from '../errors';
import type { IdMap, Mount, Spec } from '../spec/types';
import type { ParsedOptions } from './mount-options';

export interface PlanIdmap {
  /** ridmap: every submount of an rbind gets the mapping too */
  recursive: boolean;
  uid: IdMap[];
  gid: IdMap[];
}

/** The kernel accepts at most 340 lines in a uid_map/gid_map. */
const MAX_LINES = 340;

function checkMaps(maps: IdMap[], where: string): void {
  if (maps.length > MAX_LINES)
    throw new CartonError(`${where}: at most ${MAX_LINES} mappings are allowed, got ${maps.length}`, {
      kind: 'invalid-config',
    });
  for (const [i, m] of maps.entries()) {
    if (m.size < 1) throw new CartonError(`${where}/${i}/size: must be at least 1`, { kind: 'invalid-config' });
    if (m.containerID + m.size > 0x100000000 || m.hostID + m.size > 0x100000000) {
      throw new CartonError(`${where}/${i}: the range does not fit in 32-bit ids`, { kind: 'invalid-config' });
    }
  }
}

/**
 * The id mapping for mount i, or undefined for an ordinary mount. Without
 * maps of its own an idmap/ridmap mount takes the container's user namespace
 * maps (the spec's MAY); with neither it is an error (the spec's MUST).
 */
export function mountIdmap(
  mnt: Mount,
  i: number,
  opts: ParsedOptions,
  spec: Spec,
  isBind: boolean,
): PlanIdmap | undefined {
  const where = `config.json: /mounts/${i} (${mnt.destination})`;
  const own = Boolean(mnt.uidMappings?.length || mnt.gidMappings?.length);
  if (!own && !opts.idmap) return undefined;
  if (!isBind)
    throw new CartonError(`${where}: id-mapped mounts are only supported for bind mounts`, { kind: 'invalid-config' });
  let uid = mnt.uidMappings ?? [];
  let gid = mnt.gidMappings ?? [];
  if (own) {
    if (!uid.length || !gid.length)
      throw new CartonError(`${where}: uidMappings and gidMappings must be given together`, { kind: 'invalid-config' });
    checkMaps(uid, `config.json: /mounts/${i}/uidMappings`);
    checkMaps(gid, `config.json: /mounts/${i}/gidMappings`);
  } else {
    const userNs = spec.linux?.namespaces?.find((n) => n.type === 'user');
    if (!userNs || userNs.path || !spec.linux?.uidMappings?.length || !spec.linux?.gidMappings?.length) {
      throw new CartonError(
        `${where}: mount option "${opts.idmap}" without uidMappings/gidMappings needs a new user namespace with mappings`,
        { kind: 'invalid-config' },
      );
    }
    uid = spec.linux.uidMappings;
    gid = spec.linux.gidMappings!;
  }
  return { recursive: opts.idmap === 'ridmap', uid, gid };
}
