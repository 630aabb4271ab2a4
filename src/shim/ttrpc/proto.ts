// The protobuf types of the shim, from containerd's own .proto files
// (scripts/gen-shim-proto.mjs writes src/generated/shim-proto.json at build
// time; esbuild bundles it). Every message the shim sends or receives is
// encoded and decoded by protobufjs through this Root.
import * as protobuf from 'protobufjs';
import json from '../../generated/shim-proto.json';
import { TO_OBJECT } from '../types';

// Built on first use, in two steps, because building the whole tree is a
// good part of a cold start (`start` and `delete` run once per container):
// everything but the cgroup metrics first, those (the biggest part) when a
// type under io.* is first looked up. gogoproto's extensions only annotate
// the .proto files and are never needed to encode or decode.
const {
  gogoproto: _annotations,
  io: metricsJson,
  ...baseJson
} = (json as { nested: Record<string, protobuf.AnyNestedObject> }).nested;
let built: protobuf.Root | undefined;
let withMetrics = false;
export function root(forType = ''): protobuf.Root {
  built ??= protobuf.Root.fromJSON({ nested: baseJson });
  if (!withMetrics && (forType === '' || forType.startsWith('io.'))) {
    withMetrics = true;
    if (metricsJson) built.addJSON({ io: metricsJson });
  }
  return built;
}

const types = new Map<string, protobuf.Type>();

/** A message type by its fully qualified name (a leading '.' or a type URL prefix is accepted). */
export function type(name: string): protobuf.Type {
  const key = name.slice(name.lastIndexOf('/') + 1).replace(/^\./, '');
  let t = types.get(key);
  if (!t) {
    t = root(key).lookupType(key);
    types.set(key, t);
  }
  return t;
}

export function decode(name: string, bytes: Uint8Array): Record<string, any> {
  const t = type(name);
  return t.toObject(t.decode(bytes), TO_OBJECT);
}

/**
 * decode, and every Any inside whose type URL names a protobuf type we
 * have (e.g. Create's runc Options, 'containerd.runc.v1.Options') also gets
 * `object`, the decoded value; `value` stays. Others (runtime-spec JSON,
 * e.g. Update's LinuxResources) keep only their bytes.
 */
export function decodeWithAnys(name: string, bytes: Uint8Array): Record<string, any> {
  return expandAnys(decode(name, bytes)) as Record<string, any>;
}

function expandAnys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(expandAnys);
  if (!v || typeof v !== 'object' || Buffer.isBuffer(v) || v instanceof Uint8Array) return v;
  const o = v as Record<string, unknown>;
  if (typeof o.typeUrl === 'string' && Buffer.isBuffer(o.value)) {
    let t: protobuf.Type | undefined;
    // Only fully qualified names: protobufjs would also find a bare name nested anywhere.
    const name = o.typeUrl.slice(o.typeUrl.lastIndexOf('/') + 1);
    try {
      t = name.includes('.') ? type(name) : undefined;
    } catch {
      t = undefined;
    }
    if (t) {
      try {
        return { ...o, object: t.toObject(t.decode(o.value), TO_OBJECT) };
      } catch {
        return o;
      }
    }
    return o;
  }
  for (const k of Object.keys(o)) o[k] = expandAnys(o[k]);
  return o;
}

/**
 * Encodes a plain object. Any field values that carry `object` instead of
 * `value` (src/shim/types.ts `Any`) are encoded with the type their
 * `typeUrl` names first, so the service can reply with e.g. cgroup metrics
 * as a plain object.
 */
export function encode(name: string, obj: Record<string, unknown>): Buffer {
  const t = type(name);
  const msg = t.fromObject(resolveAnys(obj) as Record<string, unknown>);
  return Buffer.from(t.encode(msg).finish());
}

/** google.protobuf.Any from a type name and a plain object of that type. */
export function any(typeName: string, obj: Record<string, unknown>): { typeUrl: string; value: Buffer } {
  return { typeUrl: typeName, value: encode(typeName, obj) };
}

function resolveAnys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(resolveAnys);
  if (!v || typeof v !== 'object' || Buffer.isBuffer(v) || v instanceof Uint8Array) return v;
  const o = v as Record<string, unknown>;
  if (typeof o.typeUrl === 'string' && o.object && typeof o.object === 'object' && o.value === undefined) {
    return { typeUrl: o.typeUrl, value: encode(o.typeUrl, o.object as Record<string, unknown>) };
  }
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(o)) out[k] = resolveAnys(x);
  return out;
}

/** A service's methods: name -> request and response type names. */
export function methods(service: string): Map<string, { request: string; response: string }> {
  const s = root(service).lookupService(service);
  const m = new Map<string, { request: string; response: string }>();
  for (const [name, method] of Object.entries(s.methods)) {
    method.resolve();
    m.set(name, {
      request: method.resolvedRequestType!.fullName.slice(1),
      response: method.resolvedResponseType!.fullName.slice(1),
    });
  }
  return m;
}
