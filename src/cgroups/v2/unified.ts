// linux.resources.unified: cgroup v2 files written verbatim, after every
// other field. Keys must be plain file names of the container's own cgroup,
// and the controller a key belongs to must be enabled there (runtime-spec:
// "MUST generate an error when the configuration refers to a cgroup
// controller that is not present").
import { SetupError } from '../../errors';
import type { Write } from '../types';

/** Files every cgroup2 directory has without any controller. */
const CORE = 'cgroup';

/** "memory.high" -> "memory": a cgroup v2 file's controller. */
export function controllerOf(file: string): string {
  const dot = file.indexOf('.');
  return dot < 0 ? file : file.slice(0, dot);
}

export function unifiedWrites(
  unified: Record<string, string> | undefined,
  available: string[],
  where: string,
): Write[] {
  const w: Write[] = [];
  for (const [key, value] of Object.entries(unified ?? {})) {
    const field = `linux.resources.unified["${key}"]`;
    if (key.includes('/') || key === '.' || key === '..' || !key)
      throw new SetupError(`${field}: must be a file name in the container's cgroup, without "/"`, {
        kind: 'invalid-config',
      });
    const ctrl = controllerOf(key);
    if (key.indexOf('.') <= 0)
      throw new SetupError(`${field}: not a cgroup v2 file name (<controller>.<file>)`, { kind: 'invalid-config' });
    if (ctrl !== CORE && !available.includes(ctrl))
      throw new SetupError(`${field}: the ${ctrl} controller is not enabled in the cgroup v2 hierarchy ${where}`, {
        kind: 'host-lacks',
      });
    w.push({ field, file: key, value });
  }
  return w;
}
