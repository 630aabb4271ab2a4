// Which shim a bundle goes to (src/shim/address.ts groupOf): a CRI pod's
// sandbox id, the runc shim's group annotation, or the namespace's shared
// shim. CRI pods share the namespace's shim by default (or with
// CARTON_SHIM_GROUP=namespace); CARTON_SHIM_GROUP=pod gives each its own.
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import t from 'tap';
import { GROUP_ENV, groupOf, SHARED_GROUP } from '../../src/shim/address';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'carton-shim-address-'));
t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));

function bundle(name: string, annotations?: Record<string, string>): string {
  const b = path.join(dir, name);
  fs.mkdirSync(b);
  fs.writeFileSync(path.join(b, 'config.json'), JSON.stringify({ ociVersion: '1.0.2', annotations }));
  return b;
}

const plain = bundle('plain');
const pod = bundle('pod', { 'io.kubernetes.cri.sandbox-id': 'sb1' });
const grouped = bundle('grouped', { 'io.containerd.runc.v2.group': 'g1', 'io.kubernetes.cri.sandbox-id': 'sb1' });

t.test('CARTON_SHIM_GROUP=pod: one shim per CRI pod, the shared one otherwise', async (t) => {
  process.env[GROUP_ENV] = 'pod';
  t.teardown(() => delete process.env[GROUP_ENV]);
  t.equal(groupOf(plain), SHARED_GROUP);
  t.equal(groupOf(pod), 'sb1');
  t.equal(groupOf(grouped), 'g1', "the runc shim's group annotation first");
});

for (const v of [undefined, '', 'namespace']) {
  t.test(`CARTON_SHIM_GROUP=${v ?? '(unset)'}: pods on the shared shim, an explicit group still its own`, async (t) => {
    if (v === undefined) delete process.env[GROUP_ENV];
    else process.env[GROUP_ENV] = v;
    t.teardown(() => delete process.env[GROUP_ENV]);
    t.equal(groupOf(plain), SHARED_GROUP);
    t.equal(groupOf(pod), SHARED_GROUP);
    t.equal(groupOf(grouped), 'g1');
  });
}

t.test('CARTON_SHIM_GROUP=other: an error naming the variable and the choices', async (t) => {
  process.env[GROUP_ENV] = 'container';
  t.teardown(() => delete process.env[GROUP_ENV]);
  t.throws(() => groupOf(pod), /^CARTON_SHIM_GROUP=container: expected one of namespace, pod$/);
});

t.test('no config.json: an error naming it', async (t) => {
  t.throws(() => groupOf(path.join(dir, 'nope')), /nope\/config\.json/);
});
