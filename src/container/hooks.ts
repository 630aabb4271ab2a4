// OCI hooks. The runtime-namespace ones (prestart, createRuntime, poststart,
// poststop) run here, in the CLI; createContainer and startContainer are
// handed to carton-init in the plan (T_HOOK), because they run in the
// container's namespaces (native/init/hooks.cc). Each gets the container's
// state JSON on stdin. Error text keeps runc's wording
// ("error running prestart hook #0: error running hook: exit status 1, stdout: , stderr: ..."),
// which is what users and engines see from runc.
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { CartonError } from '../errors';
import { warn } from '../log';
import { HookKind, type PlanHook } from '../plan/types';
import type { Hook, Spec } from '../spec/types';
import { parseExact } from '../spec/exact-json';
import type { Store } from '../state/store';

export type HookName = 'prestart' | 'createRuntime' | 'createContainer' | 'startContainer' | 'poststart' | 'poststop';

/** runtime-spec state as runc marshals it for hooks: pid and annotations are omitempty. */
export interface HookState {
  ociVersion: string;
  id: string;
  status: 'creating' | 'created' | 'running' | 'stopped';
  pid?: number;
  bundle: string;
  annotations?: Record<string, string>;
}

export function hookState(spec: Spec, id: string, bundle: string, status: HookState['status'], pid?: number): HookState {
  const annotations = spec.annotations && Object.keys(spec.annotations).length ? { annotations: spec.annotations } : {};
  return { ociVersion: spec.ociVersion, id, status, ...(pid ? { pid } : {}), bundle, ...annotations };
}

export function hasHooks(spec: Spec | undefined, ...names: HookName[]): boolean {
  return names.some((n) => (spec?.hooks?.[n]?.length ?? 0) > 0);
}

/** The plan's part of the hooks: init pauses for the runtime hooks and runs the container ones. */
export function planHooks(spec: Spec): { hooksPause: boolean; hooks: PlanHook[] } {
  const toPlan = (kind: HookKind, h: Hook): PlanHook => ({ kind, timeout: h.timeout ?? 0, path: h.path, args: h.args ?? [], env: h.env ?? [] });
  const hooks = [
    ...(spec.hooks?.createContainer ?? []).map((h) => toPlan(HookKind.CreateContainer, h)),
    ...(spec.hooks?.startContainer ?? []).map((h) => toPlan(HookKind.StartContainer, h)),
  ];
  return { hooksPause: hasHooks(spec, 'prestart', 'createRuntime', 'createContainer', 'startContainer'), hooks };
}

function envObject(list: string[]): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const kv of list) {
    const i = kv.indexOf('=');
    if (i > 0) env[kv.slice(0, i)] = kv.slice(i + 1);
  }
  return env;
}

/** Go's exec.ExitError text. */
function exitText(code: number | null, signal: NodeJS.Signals | null): string {
  if (signal) return `signal: ${signal === 'SIGKILL' ? 'killed' : signal === 'SIGTERM' ? 'terminated' : signal}`;
  return `exit status ${code}`;
}

/** Runs one hook in the runtime namespace; returns runc's error text, or undefined on success. */
function runOne(h: Hook, state: HookState): string | undefined {
  const args = h.args ?? [];
  // As runc (Go's exec.Cmd): no args means argv = [path]; no env means the runtime's environment.
  const r = spawnSync(h.path, args.slice(1), {
    argv0: args[0] ?? h.path,
    input: JSON.stringify(state),
    env: h.env ? envObject(h.env) : process.env,
    timeout: h.timeout ? h.timeout * 1000 : undefined,
    killSignal: 'SIGKILL',
    encoding: 'utf8',
    maxBuffer: 16 << 20,
  });
  let err = r.error as NodeJS.ErrnoException | undefined;
  // A hook that exits without reading its stdin is fine (Go's exec ignores EPIPE too).
  if (err?.code === 'EPIPE' && r.status !== null) err = undefined;
  if (err?.code === 'ETIMEDOUT') return `hook ran past specified timeout of ${h.timeout!.toFixed(1)}s`;
  if (err) {
    const why = err.code === 'ENOENT' ? 'no such file or directory' : err.code === 'EACCES' ? 'permission denied' : err.message;
    return `error running hook: fork/exec ${h.path}: ${why}, stdout: , stderr: `;
  }
  if (r.status === 0) return undefined;
  return `error running hook: ${exitText(r.status, r.signal)}, stdout: ${r.stdout ?? ''}, stderr: ${r.stderr ?? ''}`.replace(/\n/g, ' ');
}

/** Runs every hook of `name` in order; the first failure throws. */
export function runHooks(spec: Spec, name: HookName, state: HookState): void {
  for (const [i, h] of (spec.hooks?.[name] ?? []).entries()) {
    const e = runOne(h, state);
    if (e !== undefined) throw new CartonError(`error running ${name} hook #${i}: ${e}`);
  }
}

/** poststop: a failure is a warning and the remaining hooks still run (runtime.md step 13). */
export function runPoststop(spec: Spec | undefined, state: HookState): void {
  for (const [i, h] of (spec?.hooks?.poststop ?? []).entries()) {
    const e = runOne(h, state);
    if (e !== undefined) warn(`error running poststop hook #${i}: ${e}`);
  }
}

/** The config.json saved at create time (the container's, not the bundle's current one). */
export function savedSpec(store: Store, id: string): Spec | undefined {
  try {
    return parseExact(fs.readFileSync(path.join(store.dir(id), 'config.json'), 'utf8')) as Spec;
  } catch {
    return undefined;
  }
}

/** The pid of `hostPid` as seen inside its own pid namespace (last NSpid field). */
export function nsPid(hostPid: number): number {
  try {
    const m = /^NSpid:\s*(.*)$/m.exec(fs.readFileSync(`/proc/${hostPid}/status`, 'utf8'));
    const ids = m ? m[1].trim().split(/\s+/).map(Number) : [];
    return ids.length ? ids[ids.length - 1] : hostPid;
  } catch {
    return hostPid;
  }
}
