// Read and check a bundle: config.json parsed and validated against the
// schema, then the semantic checks a schema cannot express. Every error names
// the file and the JSON path or field.
import * as fs from 'fs';
import * as path from 'path';
import { CartonError, errText } from '../errors';
import { phase } from '../log';
import type { Spec } from './types';
import { checkLinuxSecurity } from './checks-linux';
import { parseConfig, validateConfig } from './validate';

export interface Bundle {
  dir: string;
  spec: Spec;
  rootfs: string;
}

/**
 * Fields carton does not implement yet. Silently ignoring a security or
 * isolation setting would be worse than refusing it, so these are errors.
 */
const NOT_YET: Array<[string, (s: Spec) => unknown]> = [
  ['/process/execCPUAffinity', (s) => s.process?.execCPUAffinity],
];

export function loadBundle(bundleArg: string | undefined): Bundle {
  const dir = path.resolve(bundleArg || '.');
  const file = path.join(dir, 'config.json');
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    throw new CartonError(`open ${file}: ${errText(e)}`, { kind: 'invalid-config' });
  }
  const obj = parseConfig(text);
  validateConfig(obj);
  phase('validate');
  const spec = obj as Spec;
  checkSemantics(spec);
  if (!spec.root)
    throw new CartonError("config.json: / must have required property 'root' on Linux", { kind: 'invalid-config' });
  const rootfs = path.resolve(dir, spec.root.path);
  let st: fs.Stats;
  try {
    st = fs.statSync(rootfs);
  } catch (e) {
    throw new CartonError(`config.json: /root/path: rootfs ${rootfs}: ${errText(e)}`, { kind: 'invalid-config' });
  }
  if (!st.isDirectory())
    throw new CartonError(`config.json: /root/path: rootfs ${rootfs} is not a directory`, { kind: 'invalid-config' });
  return { dir, spec, rootfs };
}

function checkSemantics(spec: Spec): void {
  for (const [ptr, get] of NOT_YET) {
    if (get(spec) !== undefined)
      throw new CartonError(`config.json: ${ptr} is not supported by this version of carton`, { kind: 'unsupported' });
  }
  for (const [kind, hooks] of Object.entries(spec.hooks ?? {})) {
    for (const [i, h] of (hooks ?? []).entries()) {
      if (!h.path.startsWith('/'))
        throw new CartonError(`config.json: /hooks/${kind}/${i}/path must be an absolute path, got "${h.path}"`, {
          kind: 'invalid-config',
        });
    }
  }
  const p = spec.process;
  if (!p)
    throw new CartonError("config.json: / must have required property 'process' to create a container", {
      kind: 'invalid-config',
    });
  if (!p.args || p.args.length === 0)
    throw new CartonError('config.json: /process/args must not be empty', { kind: 'invalid-config' });
  if (!p.cwd.startsWith('/'))
    throw new CartonError(`config.json: /process/cwd must be an absolute path, got "${p.cwd}"`, {
      kind: 'invalid-config',
    });
  const seen = new Set<string>();
  for (const [i, ns] of (spec.linux?.namespaces ?? []).entries()) {
    if (seen.has(ns.type))
      throw new CartonError(`config.json: /linux/namespaces/${i}: duplicate namespace "${ns.type}"`, {
        kind: 'invalid-config',
      });
    seen.add(ns.type);
  }
  const userNs = seen.has('user');
  if (userNs && !(spec.linux?.uidMappings?.length && spec.linux?.gidMappings?.length)) {
    const joins = spec.linux?.namespaces?.find((n) => n.type === 'user')?.path;
    if (!joins)
      throw new CartonError(
        'config.json: /linux/uidMappings and /linux/gidMappings are required with a new user namespace',
        { kind: 'invalid-config' },
      );
  }
  if (!userNs && (spec.linux?.uidMappings?.length || spec.linux?.gidMappings?.length)) {
    throw new CartonError(
      'config.json: /linux/uidMappings is set but there is no user namespace in /linux/namespaces',
      { kind: 'invalid-config' },
    );
  }
  if (spec.linux?.timeOffsets && !seen.has('time')) {
    throw new CartonError(
      'config.json: /linux/timeOffsets is set but there is no time namespace in /linux/namespaces',
      { kind: 'invalid-config' },
    );
  }
  if (spec.linux?.sysctl) {
    for (const k of Object.keys(spec.linux.sysctl)) {
      if (k.includes('/') || k.split('.').includes('..'))
        throw new CartonError(`config.json: /linux/sysctl: invalid key "${k}"`, { kind: 'invalid-config' });
    }
  }
  checkLinuxSecurity(spec);
}
