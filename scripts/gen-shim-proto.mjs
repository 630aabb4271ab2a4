// Builds src/generated/shim-proto.json (a protobufjs Root in JSON) from
// containerd's own .proto files as Debian ships them under
// /usr/share/gocode/src (scripts/setup.sh installs the packages), plus
// src/shim/ttrpc/ttrpc.proto for ttrpc's envelope. Nothing is hand-encoded:
// the shim encodes and decodes every message with these types.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import protobuf from 'protobufjs';

const GOCODE = process.env.CARTON_GOCODE ?? '/usr/share/gocode/src';
const out = 'src/generated/shim-proto.json';

// Import path prefix -> directory. The first match wins; the Debian package
// that ships each tree is named so a missing file says what to install.
const roots = [
  { prefix: 'github.com/containerd/cgroups/', dir: GOCODE, pkg: 'golang-github-containerd-cgroups-dev' },
  { prefix: 'github.com/', dir: GOCODE, pkg: 'golang-github-containerd-containerd-dev' },
  { prefix: 'gogoproto/', dir: `${GOCODE}/github.com/gogo/protobuf`, pkg: 'golang-github-gogo-protobuf-dev' },
  {
    prefix: 'google/protobuf/',
    dir: `${GOCODE}/github.com/gogo/protobuf/protobuf`,
    pkg: 'golang-github-gogo-protobuf-dev',
  },
  { prefix: 'google/rpc/', dir: `${GOCODE}/github.com/gogo/googleapis`, pkg: 'golang-github-gogo-googleapis-dev' },
  { prefix: 'src/', dir: '.', pkg: 'this checkout' },
];

const entries = [
  'github.com/containerd/containerd/runtime/v2/task/shim.proto',
  'github.com/containerd/containerd/api/events/task.proto',
  'github.com/containerd/containerd/api/services/ttrpc/events/v1/events.proto',
  'github.com/containerd/containerd/api/types/mount.proto',
  'github.com/containerd/containerd/api/types/task/task.proto',
  'github.com/containerd/containerd/runtime/v2/runc/options/oci.proto',
  'github.com/containerd/cgroups/stats/v1/metrics.proto',
  'github.com/containerd/cgroups/v2/stats/metrics.proto',
  'google/protobuf/empty.proto',
  'google/protobuf/any.proto',
  'google/protobuf/timestamp.proto',
  'gogoproto/gogo.proto',
  'src/shim/ttrpc/ttrpc.proto',
  'src/shim/ttrpc/lifecycle.proto',
];

function locate(importPath) {
  const p = importPath.replace(/^\/+/, '');
  for (const r of roots) {
    if (!p.startsWith(r.prefix)) continue;
    const file = path.join(r.dir, p);
    if (!existsSync(file)) throw new Error(`gen-shim-proto: missing ${file} (apt-get install ${r.pkg})`);
    return file;
  }
  throw new Error(`gen-shim-proto: no include root for import "${importPath}"`);
}

try {
  // Each file is parsed from disk here, imports followed by hand: protobufjs'
  // own loader would swap google/protobuf/*.proto for bundled copies whose
  // field names keep snake case (Any.type_url), unlike everything else.
  const root = new protobuf.Root();
  const seen = new Set();
  const load = (importPath) => {
    const file = locate(importPath);
    if (seen.has(file)) return;
    seen.add(file);
    const parsed = protobuf.parse(readFileSync(file, 'utf8'), root, { keepCase: false, alternateCommentMode: false });
    for (const dep of [...(parsed.imports ?? []), ...(parsed.weakImports ?? [])]) load(dep);
  };
  for (const e of entries) load(e);
  root.resolveAll();
  for (const name of [
    'containerd.task.v2.Task',
    'containerd.services.events.ttrpc.v1.Events',
    'ttrpc.Request',
    'ttrpc.Response',
    'containerd.events.TaskExit',
    'io.containerd.cgroups.v1.Metrics',
    'io.containerd.cgroups.v2.Metrics',
    'containerd.runc.v1.Options',
    'carton.shim.v1.Lifecycle',
  ]) {
    if (!root.lookup(name)) throw new Error(`gen-shim-proto: ${name} not found after loading`);
  }
  mkdirSync(path.dirname(out), { recursive: true });
  const json = JSON.stringify(root.toJSON({ keepComments: false }));
  writeFileSync(out, json);
  console.log(`gen-shim-proto: ${entries.length} .proto files -> ${out} (${(json.length / 1024).toFixed(1)} KiB)`);
} catch (e) {
  console.error(
    e instanceof Error && e.message.startsWith('gen-shim-proto:')
      ? e.message
      : `gen-shim-proto: ${e instanceof Error ? e.message : e}`,
  );
  process.exit(1);
}
