// containerd-shim-carton-v2: the shim v2 binary as containerd 1.6 runs it
// (runtime/v2/binary.go): `-namespace N -address A -publish-binary P -id ID
// [-bundle B] [-debug] start|delete`, and with no action the serving shim
// that `start` spawns.
import { errMessage, firstLine } from '../errors';
import { FlagError, parseFlags } from './flags';
import type { TaskServiceFactory } from './types';

// Each action loads only its own modules: `start` and `delete` run once per
// container, and evaluating the Task service's modules would be wasted there.
const startShim: typeof import('./start').startShim = (...a) =>
  (require('./start') as typeof import('./start')).startShim(...a);
const deleteShim: typeof import('./delete').deleteShim = (...a) =>
  (require('./delete') as typeof import('./delete')).deleteShim(...a);
const serve: typeof import('./serve').serve = (...a) => (require('./serve') as typeof import('./serve')).serve(...a);

const NAME = 'containerd-shim-carton-v2';

declare const CARTON_COMMIT: string;

/** Runs one invocation; resolves to the exit code, or never for `serve` (it exits when told). */
export async function runShim(argv: string[], factory: TaskServiceFactory, self: string): Promise<number | undefined> {
  const fail = (msg: string, code = 1) => {
    process.stderr.write(`${NAME}: ${msg}\n`);
    return code;
  };
  let f;
  try {
    f = parseFlags(argv);
  } catch (e) {
    if (e instanceof FlagError) return fail(e.message, 2);
    throw e;
  }
  if (f.version) {
    process.stdout.write(
      `${NAME}:\n  Version:  carton\n  Revision: ${typeof CARTON_COMMIT === 'string' ? CARTON_COMMIT : 'unknown'}\n  Node version: ${process.version}\n\n`,
    );
    return 0;
  }
  if (!f.namespace) return fail('shim namespace cannot be empty');
  try {
    switch (f.action) {
      case 'start':
        process.stdout.write(await startShim(f, self));
        return 0;
      case 'delete':
        process.stdout.write(deleteShim(f, f.bundle || process.cwd(), (l) => process.stderr.write(`${l}\n`)));
        return 0;
      case '':
        await serve(f, factory);
        return undefined;
      default:
        return fail(`unknown action "${f.action}"`);
    }
  } catch (e) {
    return fail(firstLine(errMessage(e)));
  }
}
