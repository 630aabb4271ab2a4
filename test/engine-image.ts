// An image for the engine tests, made from the busybox rootfs (there is no
// registry): a docker-archive tarball that `ctr image import`, `docker load`
// and `podman load` all read offline.
import { spawnSync } from 'child_process';
import { createHash } from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { ROOTFS } from './helpers';

export const IMAGE = 'localhost/busybox:latest';

/** Writes `<dir>/busybox.tar` (docker-archive, one layer) and returns its path. */
export function busyboxArchive(dir: string): string {
  const work = fs.mkdtempSync(path.join(dir, 'img-'));
  const layer = spawnSync('tar', ['-C', ROOTFS, '-cf', path.join(work, 'layer.tar'), '.']);
  if (layer.status !== 0) throw new Error(`tar of ${ROOTFS} failed: ${String(layer.stderr)}`);
  const diffId = createHash('sha256').update(fs.readFileSync(path.join(work, 'layer.tar'))).digest('hex');
  const config = JSON.stringify({
    architecture: 'amd64',
    os: 'linux',
    config: { Env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'], Cmd: ['sh'] },
    rootfs: { type: 'layers', diff_ids: [`sha256:${diffId}`] },
  });
  const configName = `${createHash('sha256').update(config).digest('hex')}.json`;
  fs.writeFileSync(path.join(work, configName), config);
  fs.writeFileSync(path.join(work, 'manifest.json'), JSON.stringify([{ Config: configName, RepoTags: [IMAGE], Layers: ['layer.tar'] }]));
  const out = path.join(dir, 'busybox.tar');
  const r = spawnSync('tar', ['-C', work, '-cf', out, 'manifest.json', configName, 'layer.tar']);
  if (r.status !== 0) throw new Error(`tar of the image failed: ${String(r.stderr)}`);
  fs.rmSync(work, { recursive: true, force: true });
  return out;
}

/** Pids of live processes whose command line mentions `needle` (engine shims started for our temp dir). */
export function pidsMentioning(needle: string): number[] {
  const pids: number[] = [];
  for (const e of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    try {
      if (fs.readFileSync(`/proc/${e}/cmdline`, 'utf8').includes(needle)) pids.push(Number(e));
    } catch {
      // exited meanwhile
    }
  }
  return pids.filter((p) => p !== process.pid);
}

/** Unmounts (lazily, deepest first) every mount under `dir`: engines leave some under their temp root. */
export function unmountUnder(dir: string): void {
  const points = fs.readFileSync('/proc/self/mountinfo', 'utf8').split('\n')
    .map((l) => l.split(' ')[4]).filter((p) => p && (p === dir || p.startsWith(`${dir}/`)));
  for (const p of points.sort((a, b) => b.length - a.length)) spawnSync('umount', ['-l', p]);
}

export async function sleep(ms: number): Promise<void> {
  await new Promise((r) => setTimeout(r, ms));
}
