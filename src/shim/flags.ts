// containerd-shim-*-v2 command line, parsed as Go's flag package does
// (containerd's own shims use it): `-name value`, `--name value`,
// `-name=value`, booleans bare or `=true`; the first non-flag is the action.
import { CartonError } from '../errors';
export interface ShimFlags {
  namespace: string;
  address: string;
  publishBinary: string;
  id: string;
  bundle: string;
  socket: string;
  debug: boolean;
  version: boolean;
  action: string;
}

/** A bad shim command line (containerd's flags); main.ts exits 2 for it, as Go's flag package does. */
export class FlagError extends CartonError {
  constructor(message: string) {
    super(message, { kind: 'usage', exitCode: 2 });
    this.name = 'FlagError';
  }
}

const STRINGS: Record<string, keyof ShimFlags> = {
  namespace: 'namespace',
  address: 'address',
  'publish-binary': 'publishBinary',
  id: 'id',
  bundle: 'bundle',
  socket: 'socket',
};
const BOOLS: Record<string, keyof ShimFlags> = { debug: 'debug', v: 'version' };

export function parseFlags(argv: string[]): ShimFlags {
  const f: ShimFlags = {
    namespace: '',
    address: '',
    publishBinary: 'containerd',
    id: '',
    bundle: '',
    socket: '',
    debug: false,
    version: false,
    action: '',
  };
  const set = f as unknown as Record<string, string | boolean>;
  let i = 0;
  for (let a = argv[0]; a !== undefined; a = argv[++i]) {
    if (a === '--') {
      i++;
      break;
    }
    if (!a.startsWith('-') || a === '-') break;
    const body = a.replace(/^--?/, '');
    const eq = body.indexOf('=');
    const name = eq < 0 ? body : body.slice(0, eq);
    const bool = Object.hasOwn(BOOLS, name) ? BOOLS[name] : undefined;
    const str = Object.hasOwn(STRINGS, name) ? STRINGS[name] : undefined;
    if (bool) {
      const v = eq < 0 ? 'true' : body.slice(eq + 1);
      if (!['true', 'false', '1', '0', 't', 'f', 'TRUE', 'FALSE', 'True', 'False'].includes(v))
        throw new FlagError(`invalid boolean value "${v}" for -${name}`);
      set[bool] = ['true', '1', 't', 'TRUE', 'True'].includes(v);
    } else if (str) {
      const v = eq >= 0 ? body.slice(eq + 1) : argv[++i];
      if (v === undefined) throw new FlagError(`flag needs an argument: -${name}`);
      set[str] = v;
    } else {
      throw new FlagError(`flag provided but not defined: -${name}`);
    }
  }
  f.action = argv[i] ?? '';
  return f;
}
