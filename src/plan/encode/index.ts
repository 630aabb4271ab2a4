// Plan -> the versioned binary format defined in src/plan/format.ts (the
// C++ side's header is generated from it). Pure and deterministic, so it is
// unit-tested byte for byte. Each concern's records are written by its own
// module here and decoded by the matching native/init/plan_<concern>.cc.
import { PLAN_MAGIC, PLAN_VERSION } from '../format';
import type { Plan } from '../types';
import { encodeLifecycle } from './lifecycle';
import { encodeMounts } from './mounts';
import { encodeNamespaces } from './namespaces';
import { Payload, type Rec } from './payload';
import { encodeFds, encodeProcess } from './process';
import { encodeSecurity } from './security';

export { NO_FD, PLAN_VERSION } from '../format';
export { Payload } from './payload';

export function encodePlan(p: Plan): Buffer {
  const records: Buffer[] = [];
  const rec: Rec = (tag, body = new Payload()) => {
    const payload = Buffer.concat(body.parts);
    const h = Buffer.alloc(8);
    h.writeUInt16LE(tag, 0);
    h.writeUInt16LE(0, 2);
    h.writeUInt32LE(payload.length, 4);
    records.push(h, payload);
  };

  encodeFds(p, rec);
  encodeNamespaces(p, rec);
  encodeLifecycle(p, rec);
  encodeMounts(p, rec);
  encodeProcess(p, rec);
  encodeSecurity(p, rec);

  const body = Buffer.concat(records);
  const header = Buffer.alloc(16);
  header.write(PLAN_MAGIC, 0, 'latin1');
  header.writeUInt32LE(PLAN_VERSION, 8);
  header.writeUInt32LE(16 + body.length, 12);
  return Buffer.concat([header, body]);
}
