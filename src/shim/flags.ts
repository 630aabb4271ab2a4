// containerd-shim-*-v2 command line, parsed as Go's flag package does
// (containerd's own shims use it): `-name value`, `--name value`,
// `-name=value`, booleans bare or `=true`; the first non-flag is the action.
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

export class FlagError extends Error {}

const STRINGS: Record<string, keyof ShimFlags> = {
  namespace: 'namespace', address: 'address', 'publish-binary': 'publishBinary', id: 'id', bundle: 'bundle', socket: 'socket',
};
const BOOLS: Record<string, keyof ShimFlags> = { debug: 'debug', v: 'version' };

export function parseFlags(argv: string[]): ShimFlags {
  const f: ShimFlags = { namespace: '', address: '', publishBinary: 'containerd', id: '', bundle: '', socket: '', debug: false, version: false, action: '' };
  const set = f as unknown as Record<string, string | boolean>;
  let i = 0;
  for (; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--') {
      i++;
      break;
    }
    if (!a.startsWith('-') || a === '-') break;
    const body = a.replace(/^--?/, '');
    const eq = body.indexOf('=');
    const name = eq < 0 ? body : body.slice(0, eq);
    if (name in BOOLS) {
      const v = eq < 0 ? 'true' : body.slice(eq + 1);
      if (!['true', 'false', '1', '0', 't', 'f', 'TRUE', 'FALSE', 'True', 'False'].includes(v)) throw new FlagError(`invalid boolean value "${v}" for -${name}`);
      set[BOOLS[name]] = ['true', '1', 't', 'TRUE', 'True'].includes(v);
    } else if (name in STRINGS) {
      if (eq >= 0) set[STRINGS[name]] = body.slice(eq + 1);
      else if (i + 1 < argv.length) set[STRINGS[name]] = argv[++i];
      else throw new FlagError(`flag needs an argument: -${name}`);
    } else {
      throw new FlagError(`flag provided but not defined: -${name}`);
    }
  }
  f.action = argv[i] ?? '';
  return f;
}
