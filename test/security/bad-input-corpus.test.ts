// Corpus-driven bad input: valid configs are mutated in ways that are wrong
// by construction (wrong types, null, huge and fractional numbers, negative
// ids, missing required fields, unknown namespaces and enums, relative and
// ".." paths, sysctls no namespace isolates), and each mutation must be
// refused with one clear line naming config.json and a JSON path. Most go
// through the in-process pipeline `create` runs before it touches the host
// (load + validate + semantics + cgroup path + plan + encode); a sample goes
// through the real CLI, which must leave nothing behind.
import * as fs from 'fs';
import * as path from 'path';
import t from 'tap';
import { Env, testSpec } from '../helpers';
import * as cgroups from '../../src/cgroups/manager';
import { buildPlan } from '../../src/plan/build';
import { encodePlan } from '../../src/plan/encode';
import { loadBundle } from '../../src/spec/load';
import { exampleSpec, toRootless } from '../../src/spec/defaults';
import type { Spec } from '../../src/spec/types';

const env = new Env('corpus');
t.teardown(() => {
  const leaks = env.cleanup();
  if (leaks.length) throw new Error(`leaks: ${leaks.join('; ')}`);
});

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

/** The valid configs every mutation starts from. */
function corpus(): Array<[string, Spec]> {
  const full = testSpec(['sh', '-c', 'true'], (s) => {
    s.process!.user = { uid: 1000, gid: 1000, additionalGids: [5, 6], umask: 0o22 };
    s.process!.rlimits!.push({ type: 'RLIMIT_NPROC', soft: 100, hard: 100 });
    s.process!.oomScoreAdj = 100;
    s.process!.consoleSize = { height: 25, width: 80 };
    s.domainname = 'example.org';
    s.annotations = { a: 'b' };
    s.linux!.sysctl = { 'net.ipv4.ip_forward': '0', 'kernel.shmmax': '1000000', 'kernel.domainname': 'x' };
    s.linux!.devices = [{ type: 'c', path: '/dev/fuse', major: 10, minor: 229, fileMode: 0o666, uid: 0, gid: 0 }];
    s.linux!.resources = {
      memory: { limit: 1 << 28 },
      cpu: { shares: 512, quota: 50000, period: 100000 },
      pids: { limit: 100 },
      devices: [{ allow: false, access: 'rwm' }],
    };
    s.linux!.cgroupsPath = '/carton-corpus/x';
    s.linux!.seccomp = {
      defaultAction: 'SCMP_ACT_ERRNO',
      defaultErrnoRet: 1,
      architectures: ['SCMP_ARCH_X86_64'],
      flags: ['SECCOMP_FILTER_FLAG_LOG'],
      syscalls: [
        { names: ['read', 'write'], action: 'SCMP_ACT_ALLOW' },
        { names: ['kill'], action: 'SCMP_ACT_ALLOW', args: [{ index: 1, value: 15, op: 'SCMP_CMP_EQ' }] },
      ],
    };
    s.mounts!.push({ destination: '/tmp', type: 'tmpfs', source: 'tmpfs', options: ['size=1m', 'rnosuid'] });
  });
  const userns = testSpec(['true'], (s) => {
    s.linux!.namespaces!.push({ type: 'user' }, { type: 'time' });
    s.linux!.uidMappings = [{ containerID: 0, hostID: 100000, size: 65536 }];
    s.linux!.gidMappings = [{ containerID: 0, hostID: 100000, size: 65536 }];
    s.linux!.timeOffsets = { monotonic: { secs: 10, nanosecs: 0 } };
  });
  const rootless = toRootless(testSpec(['true']), 1000, 1000);
  const example = exampleSpec();
  example.root = testSpec([]).root;
  return [
    ['full', full],
    ['userns', userns],
    ['rootless', rootless],
    ['example', example],
  ];
}

/** Every [JSON pointer, value] in a document, containers included. */
function leaves(v: Json, ptr = ''): Array<[string, Json]> {
  const out: Array<[string, Json]> = [[ptr, v]];
  if (Array.isArray(v)) v.forEach((x, i) => out.push(...leaves(x, `${ptr}/${i}`)));
  else if (v && typeof v === 'object')
    for (const [k, x] of Object.entries(v))
      out.push(...leaves(x, `${ptr}/${k.replace(/~/g, '~0').replace(/\//g, '~1')}`));
  return out;
}

function setAt(doc: Json, ptr: string, fn: (parent: Record<string, Json> | Json[], key: string) => void): Json {
  const copy = JSON.parse(JSON.stringify(doc)) as Json;
  const keys = ptr
    .split('/')
    .slice(1)
    .map((k) => k.replace(/~1/g, '/').replace(/~0/g, '~'));
  let cur = copy as Record<string, Json>;
  const last = keys.pop();
  if (last === undefined) throw new Error(`setAt: "${ptr}" names no member`);
  for (const k of keys) cur = cur[k] as Record<string, Json>;
  fn(cur, last);
  return copy;
}

/** Free-form values: maps whose values may be anything of one type, where a wrong key type is not expressible. */
const FREE = [/^\/annotations\/./, /^\/linux\/sysctl\/./];

function wrongType(v: Json): Json {
  if (typeof v === 'string') return 12345;
  if (typeof v === 'number') return 'not-a-number';
  if (typeof v === 'boolean') return 'yes';
  if (Array.isArray(v)) return { not: 'an array' };
  return ['not', 'an', 'object'];
}

/** Fields a config cannot do without (schema "required"), by the parent's pointer pattern. */
const REQUIRED: Array<[RegExp, string[]]> = [
  [/^$/, ['ociVersion']],
  [/^\/root$/, ['path']],
  [/^\/process$/, ['cwd']],
  [/^\/mounts\/\d+$/, ['destination']],
  [/^\/linux\/namespaces\/\d+$/, ['type']],
  [/^\/linux\/(uid|gid)Mappings\/\d+$/, ['containerID', 'hostID', 'size']],
  [/^\/process\/rlimits\/\d+$/, ['type', 'soft', 'hard']],
  [/^\/linux\/devices\/\d+$/, ['type', 'path']],
  [/^\/linux\/seccomp$/, ['defaultAction']],
  [/^\/linux\/seccomp\/syscalls\/\d+$/, ['names', 'action']],
  [/^\/linux\/seccomp\/syscalls\/\d+\/args\/\d+$/, ['index', 'value', 'op']],
  [/^\/linux\/resources\/devices\/\d+$/, ['allow']],
  [/^\/process\/consoleSize$/, ['height', 'width']],
];

/** Targeted semantic mutations: [name, edit]. */
const SEMANTIC: Array<[string, (s: Spec) => void]> = [
  ['unknown namespace', (s) => s.linux!.namespaces!.push({ type: 'bogus' })],
  ['upper-case namespace', (s) => s.linux!.namespaces!.push({ type: 'PID' })],
  ['empty namespace type', (s) => s.linux!.namespaces!.push({ type: '' })],
  ['duplicate namespace', (s) => s.linux!.namespaces!.push({ type: 'ipc' })],
  ['no mount namespace', (s) => (s.linux!.namespaces = s.linux!.namespaces!.filter((n) => n.type !== 'mount'))],
  ['relative cwd', (s) => (s.process!.cwd = '../tmp')],
  ['empty args', (s) => (s.process!.args = [])],
  ['relative masked path', (s) => s.linux!.maskedPaths!.push('../proc/kcore')],
  ['relative readonly path', (s) => s.linux!.readonlyPaths!.push('proc/sys')],
  ['device outside /dev', (s) => (s.linux!.devices = [{ type: 'c', path: '/etc/shadow', major: 1, minor: 3 }])],
  ['device path with ..', (s) => (s.linux!.devices = [{ type: 'c', path: '/dev/../etc/passwd', major: 1, minor: 3 }])],
  ['char device without major', (s) => (s.linux!.devices = [{ type: 'c', path: '/dev/x' }])],
  ['cgroupsPath with ..', (s) => (s.linux!.cgroupsPath = '/../../escape')],
  ['sysctl with a slash', (s) => (s.linux!.sysctl = { 'kernel/../../sysrq-trigger': '1' })],
  ['sysctl not namespaced', (s) => (s.linux!.sysctl = { 'kernel.core_pattern': '|/evil' })],
  ['sysctl vm', (s) => (s.linux!.sysctl = { 'vm.swappiness': '1' })],
  ['sysctl kernel.hostname conflicts', (s) => (s.linux!.sysctl = { 'kernel.hostname': 'x' })],
  [
    'net sysctl in host netns',
    (s) => {
      s.linux!.namespaces = s.linux!.namespaces!.filter((n) => n.type !== 'network');
      s.linux!.sysctl = { 'net.ipv4.ip_forward': '1' };
    },
  ],
  [
    'net sysctl joining the host netns',
    (s) => {
      s.linux!.namespaces = s.linux!.namespaces!.map((n) =>
        n.type === 'network' ? { type: 'network', path: '/proc/self/ns/net' } : n,
      );
      s.linux!.sysctl = { 'net.ipv4.ip_forward': '1' };
    },
  ],
  [
    'ipc sysctl in host ipc ns',
    (s) => {
      s.linux!.namespaces = s.linux!.namespaces!.filter((n) => n.type !== 'ipc');
      s.linux!.sysctl = { 'kernel.shmmax': '1' };
    },
  ],
  [
    'mqueue sysctl in host ipc ns',
    (s) => {
      s.linux!.namespaces = s.linux!.namespaces!.filter((n) => n.type !== 'ipc');
      s.linux!.sysctl = { 'fs.mqueue.msg_max': '1' };
    },
  ],
  [
    'missing bind source',
    (s) => s.mounts!.push({ destination: '/x', type: 'bind', source: '/nonexistent/dev/sdz9', options: ['bind'] }),
  ],
  ['bind without source', (s) => s.mounts!.push({ destination: '/x', type: 'bind', options: ['bind'] })],
  ['mount without type', (s) => s.mounts!.push({ destination: '/x', source: 'x' })],
  [
    'uid mappings without user ns',
    (s) => {
      s.linux!.namespaces = s.linux!.namespaces!.filter((n) => n.type !== 'user');
      s.linux!.uidMappings = [{ containerID: 0, hostID: 1000, size: 1 }];
    },
  ],
  ['user ns without mappings', (s) => s.linux!.namespaces!.push({ type: 'user' })],
  [
    'time offsets without time ns',
    (s) => {
      s.linux!.namespaces = s.linux!.namespaces!.filter((n) => n.type !== 'time');
      s.linux!.timeOffsets = { monotonic: { secs: 1 } };
    },
  ],
  ['hostname without uts', (s) => (s.linux!.namespaces = s.linux!.namespaces!.filter((n) => n.type !== 'uts'))],
  ['unknown rlimit', (s) => s.process!.rlimits!.push({ type: 'RLIMIT_BOGUS', soft: 1, hard: 1 })],
  ['apparmor without apparmor', (s) => (s.process!.apparmorProfile = 'docker-default')],
  ['selinux label without selinux', (s) => (s.process!.selinuxLabel = 'system_u:system_r:container_t:s0')],
  ['mount label without selinux', (s) => (s.linux!.mountLabel = 'system_u:object_r:container_file_t:s0')],
  ['intelRdt without resctrl', (s) => (s.linux!.intelRdt = { closID: 'x' })],
  ['missing rootfs', (s) => (s.root = { path: '/nonexistent/rootfs' })],
  ['rootfs is a file', (s) => (s.root = { path: '/etc/hostname' })],
  ['NUL in an argument', (s) => (s.process!.args = ['sh', 'a\u0000b'])],
  ['NUL in env', (s) => s.process!.env!.push('A=\u0000')],
  ['NUL in a mount option', (s) => (s.mounts![0]!.options = ['x\u0000y'])],
  ['oomScoreAdj beyond the kernel range', (s) => (s.process!.oomScoreAdj = 1001)],
  ['negative device major', (s) => (s.linux!.devices = [{ type: 'c', path: '/dev/x', major: -1, minor: 0 }])],
  [
    'seccomp errnoRet on KILL',
    (s) =>
      (s.linux!.seccomp = {
        defaultAction: 'SCMP_ACT_ALLOW',
        syscalls: [{ names: ['kill'], action: 'SCMP_ACT_KILL', errnoRet: 1 }],
      }),
  ],
  ['seccomp NOTIFY default', (s) => (s.linux!.seccomp = { defaultAction: 'SCMP_ACT_NOTIFY' })],
  [
    'seccomp arg index 6',
    (s) =>
      (s.linux!.seccomp = {
        defaultAction: 'SCMP_ACT_ALLOW',
        syscalls: [{ names: ['kill'], action: 'SCMP_ACT_ERRNO', args: [{ index: 6, value: 0, op: 'SCMP_CMP_EQ' }] }],
      }),
  ],
  [
    'seccomp arch unknown to libseccomp',
    (s) => (s.linux!.seccomp = { defaultAction: 'SCMP_ACT_ALLOW', architectures: ['SCMP_ARCH_M68K'] }),
  ],
  ['unified key escaping the cgroup', (s) => (s.linux!.resources = { unified: { '../cgroup.procs': '1' } })],
  ['systemd cgroups path', (s) => (s.linux!.cgroupsPath = 'system.slice:x:y')],
];

interface Mutation {
  name: string;
  doc: Json | string;
}

function mutations(): Mutation[] {
  const out: Mutation[] = [];
  for (const [base, spec] of corpus()) {
    const doc = JSON.parse(JSON.stringify(spec)) as Json;
    for (const [ptr, v] of leaves(doc)) {
      if (ptr === '' || FREE.some((re) => re.test(ptr))) continue;
      out.push({
        name: `${base}: wrong type at ${ptr}`,
        doc: setAt(doc, ptr, (p, k) => ((p as Record<string, Json>)[k] = wrongType(v))),
      });
      out.push({
        name: `${base}: null at ${ptr}`,
        doc: setAt(doc, ptr, (p, k) => ((p as Record<string, Json>)[k] = null)),
      });
      if (typeof v === 'number') {
        out.push({
          name: `${base}: huge number at ${ptr}`,
          doc: setAt(doc, ptr, (p, k) => ((p as Record<string, Json>)[k] = 1e300)),
        });
        out.push({
          name: `${base}: fraction at ${ptr}`,
          doc: setAt(doc, ptr, (p, k) => ((p as Record<string, Json>)[k] = v + 0.5)),
        });
        // -1 means something in these (unlimited, lowest score, negative offset)
        if (!/oomScoreAdj|timeOffsets|resources\/cpu\/quota|resources\/memory|resources\/pids/.test(ptr)) {
          out.push({
            name: `${base}: negative at ${ptr}`,
            doc: setAt(doc, ptr, (p, k) => ((p as Record<string, Json>)[k] = -1)),
          });
        }
      }
      if (
        typeof v === 'string' &&
        /^\/linux\/namespaces\/\d+\/type$|Action$|\/action$|\/op$|^\/linux\/seccomp\/(architectures|flags)\/\d+$|\/type$/.test(
          ptr,
        ) &&
        !/^\/mounts\//.test(ptr)
      ) {
        out.push({
          name: `${base}: unknown enum at ${ptr}`,
          doc: setAt(doc, ptr, (p, k) => ((p as Record<string, Json>)[k] = `BOGUS_${v}`)),
        });
      }
      if (v && typeof v === 'object' && !Array.isArray(v)) {
        for (const [re, req] of REQUIRED) {
          if (!re.test(ptr)) continue;
          for (const r of req)
            if (r in v)
              out.push({
                name: `${base}: missing ${ptr}/${r}`,
                doc: setAt(doc, `${ptr}/${r}`, (p, k) => delete (p as Record<string, Json>)[k]),
              });
        }
      }
    }
    for (const [name, edit] of SEMANTIC) {
      const s = JSON.parse(JSON.stringify(spec)) as Spec;
      edit(s);
      out.push({ name: `${base}: ${name}`, doc: s as unknown as Json });
    }
    const text = JSON.stringify(doc);
    for (const cut of [1, 7, Math.floor(text.length / 3), Math.floor(text.length / 2), text.length - 1])
      out.push({ name: `${base}: truncated at ${cut}`, doc: text.slice(0, cut) });
  }
  return out;
}

const layout = cgroups.hostLayout();

/** What `create` does before it touches the host; throws the error the CLI would print. */
function pipeline(dir: string): void {
  const b = loadBundle(dir);
  cgroups.checkSupported(b.spec.linux?.resources);
  const rec = cgroups.plan(layout, cgroups.resolveCgroupsPath(b.spec.linux?.cgroupsPath, 'corpus'));
  encodePlan(
    buildPlan(b, {
      id: 'corpus',
      noPivot: false,
      noNewKeyring: false,
      preserved: 0,
      console: false,
      cgroup: rec,
      layout,
    }),
  );
}

const all = mutations();
const bundleDir = path.join(env.dir, 'bundle');
fs.mkdirSync(bundleDir);

t.test("the unmutated corpus is valid (so every failure below is the mutation's)", async (t) => {
  for (const [name, spec] of corpus()) {
    fs.writeFileSync(path.join(bundleDir, 'config.json'), JSON.stringify(spec));
    t.doesNotThrow(() => pipeline(bundleDir), name);
  }
});

t.test(`${all.length} mutations: each refused with one clear line`, async (t) => {
  t.ok(all.length >= 1000, `at least 1,000 mutations (${all.length})`);
  const accepted: string[] = [];
  const unclear: string[] = [];
  for (const m of all) {
    fs.writeFileSync(path.join(bundleDir, 'config.json'), typeof m.doc === 'string' ? m.doc : JSON.stringify(m.doc));
    let msg: string | undefined;
    try {
      pipeline(bundleDir);
    } catch (e) {
      msg = e instanceof Error ? e.message : String(e);
    }
    if (msg === undefined) accepted.push(m.name);
    // linux.cgroupsPath and linux.resources errors come from the cgroup driver, which names the field its own way.
    else if (
      msg.includes('\n') ||
      msg.length > 1000 ||
      !/^(config\.json: (\/\S*|invalid JSON)|linux\.cgroupsPath |linux\.resources\.)/.test(msg)
    )
      unclear.push(`${m.name}: ${msg}`);
  }
  t.same(accepted, [], 'no mutation was accepted');
  t.same(unclear, [], 'every error is one line naming config.json and a JSON path');
});

t.test('a sample through the real CLI: non-zero exit, one line, nothing left behind', async (t) => {
  const step = Math.max(1, Math.floor(all.length / 40));
  for (const m of all.filter((_, i) => i % step === 0)) {
    const id = env.id();
    const r = env.detached([
      'create',
      '--bundle',
      env.bundle(typeof m.doc === 'string' ? m.doc : JSON.stringify(m.doc)),
      id,
    ]);
    t.not(r.code, 0, m.name);
    t.equal(r.stderr.trim().split('\n').length, 1, `${m.name}: one line`);
    t.notOk(fs.existsSync(path.join(env.root, id)), `${m.name}: no state dir (or fifo)`);
    for (const h of fs.readdirSync('/sys/fs/cgroup')) {
      if (
        fs.existsSync(path.join('/sys/fs/cgroup', h, 'carton', id)) ||
        fs.existsSync(path.join('/sys/fs/cgroup', h, 'carton-corpus'))
      )
        t.fail(`${m.name}: cgroup left in ${h}`);
    }
  }
});
