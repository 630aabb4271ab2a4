// OCI hooks. The runtime-namespace ones (prestart, createRuntime, poststart,
// poststop) run here, in the CLI; createContainer and startContainer are
// handed to carton-init in the plan (T_HOOK), because they run in the
// container's namespaces (native/init/hooks.cc). Each gets the container's
// state JSON on stdin. Error text keeps runc's wording
// ("error running prestart hook #0: error running hook: exit status 1, stdout: , stderr: ..."),
// which is what users and engines see from runc.
import { spawnSync, type SpawnSyncOptions, type SpawnSyncReturns } from 'child_process';
import { randomBytes } from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { CartonError, errCode } from '../errors';
import { debug, warn } from '../log';
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

export function hookState(
  spec: Spec,
  id: string,
  bundle: string,
  status: HookState['status'],
  pid?: number,
): HookState {
  const annotations = spec.annotations && Object.keys(spec.annotations).length ? { annotations: spec.annotations } : {};
  return { ociVersion: spec.ociVersion, id, status, ...(pid ? { pid } : {}), bundle, ...annotations };
}

export function hasHooks(spec: Spec | undefined, ...names: HookName[]): boolean {
  return names.some((n) => (spec?.hooks?.[n]?.length ?? 0) > 0);
}

/**
 * A hook's timeout in seconds, capped at 2^32-1 (136 years): the schema
 * allows any integer >= 1, and a larger one still means "a long time"
 * (the plan carries u32 seconds; never wrapped to 1 s or to "none").
 */
export const MAX_HOOK_TIMEOUT = 0xffffffff;
export function hookTimeout(h: Hook): number {
  return h.timeout ? Math.min(h.timeout, MAX_HOOK_TIMEOUT) : 0;
}

/** The plan's part of the hooks: init pauses for the runtime hooks and runs the container ones. */
export function planHooks(spec: Spec): { hooksPause: boolean; hooks: PlanHook[] } {
  const toPlan = (kind: HookKind, h: Hook): PlanHook => ({
    kind,
    timeout: hookTimeout(h),
    path: h.path,
    args: h.args ?? [],
    env: h.env ?? [],
  });
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

// Go's names for signals 1-31 (its ProcessState text), as runc reports a
// hook killed by one. The same table as wait_text() in native/init/hooks.cc.
const GO_SIGNALS = [
  '',
  'hangup',
  'interrupt',
  'quit',
  'illegal instruction',
  'trace/breakpoint trap',
  'aborted',
  'bus error',
  'floating point exception',
  'killed',
  'user defined signal 1',
  'segmentation fault',
  'user defined signal 2',
  'broken pipe',
  'alarm clock',
  'terminated',
  'stack fault',
  'child exited',
  'continued',
  'stopped (signal)',
  'stopped',
  'stopped (tty input)',
  'stopped (tty output)',
  'urgent I/O condition',
  'CPU time limit exceeded',
  'file size limit exceeded',
  'virtual timer expired',
  'profiling timer expired',
  'window changed',
  'I/O possible',
  'power failure',
  'bad system call',
];

/** Go's exec.ExitError text: "exit status 3", "signal: killed", "signal: signal 34". */
export function exitText(code: number | null, signal: NodeJS.Signals | null): string {
  if (!signal) return `exit status ${code}`;
  const n = os.constants.signals[signal];
  return `signal: ${GO_SIGNALS[n] || `signal ${n}`}`;
}

/** An unlinked temporary file: a hook's stdout/stderr, which (unlike a pipe) no one waits on for EOF. */
function captureFile(): number {
  const p = path.join(os.tmpdir(), `carton-hook-${process.pid}-${randomBytes(6).toString('hex')}`);
  const fd = fs.openSync(p, fs.constants.O_RDWR | fs.constants.O_CREAT | fs.constants.O_EXCL, 0o600);
  fs.unlinkSync(p);
  return fd;
}

/** What the hook wrote (the first 64 KiB). */
function readCapture(fd: number): string {
  const b = Buffer.alloc(64 << 10);
  const n = fs.readSync(fd, b, 0, b.length, 0);
  fs.closeSync(fd);
  return b.subarray(0, n).toString('utf8');
}

/** Runs one hook in the runtime namespace; returns runc's error text, or undefined on success. */
function runOne(h: Hook, state: HookState): string | undefined {
  const args = h.args ?? [];
  // stdout/stderr go to files: spawnSync returns when the hook exits, even
  // if a child it left behind still holds them (with pipes it waited for
  // their EOF, past the timeout). detached: a session and process group of
  // its own, so a timeout can kill what the hook started too.
  const out = captureFile();
  const err = captureFile();
  const timeout = hookTimeout(h);
  let r: SpawnSyncReturns<string | Buffer>;
  let stdout: string;
  let stderr: string;
  try {
    // As runc (Go's exec.Cmd): no args means argv = [path]; no env means the runtime's environment.
    // (spawnSync honours `detached` as spawn does; @types/node omits it.)
    r = spawnSync(h.path, args.slice(1), {
      argv0: args[0] ?? h.path,
      input: JSON.stringify(state),
      stdio: ['pipe', out, err],
      detached: true,
      env: h.env ? envObject(h.env) : process.env,
      timeout: timeout ? timeout * 1000 : undefined,
      killSignal: 'SIGKILL',
    } as SpawnSyncOptions);
  } finally {
    stdout = readCapture(out);
    stderr = readCapture(err);
  }
  let e = r.error;
  // A hook that exits without reading its stdin is fine (Go's exec ignores EPIPE too).
  if (errCode(e) === 'EPIPE' && r.status !== null) e = undefined;
  if (errCode(e) === 'ETIMEDOUT') {
    // spawnSync killed and reaped the hook; its group outlives it while a
    // member does, and its id is not reused meanwhile.
    try {
      process.kill(-r.pid, 'SIGKILL');
    } catch {
      // the group is gone already
    }
    return `hook ran past specified timeout of ${timeout.toFixed(1)}s`;
  }
  if (e) {
    const code = errCode(e);
    const why = code === 'ENOENT' ? 'no such file or directory' : code === 'EACCES' ? 'permission denied' : e.message;
    return `error running hook: fork/exec ${h.path}: ${why}, stdout: , stderr: `;
  }
  if (r.status === 0) return undefined;
  return `error running hook: ${exitText(r.status, r.signal)}, stdout: ${stdout}, stderr: ${stderr}`.replace(
    /\n/g,
    ' ',
  );
}

/** Runs every hook of `name` in order; the first failure throws. */
export function runHooks(spec: Spec, name: HookName, state: HookState): void {
  for (const [i, h] of (spec.hooks?.[name] ?? []).entries()) {
    debug(
      `running ${name} hook #${i}: ${JSON.stringify(h.args ?? [h.path])} (${h.path})${h.timeout ? `, timeout ${h.timeout}s` : ''}`,
    );
    const e = runOne(h, state);
    if (e !== undefined) throw new CartonError(`error running ${name} hook #${i}: ${e}`);
  }
}

/** poststop: a failure is a warning and the remaining hooks still run (runtime.md step 13). */
export function runPoststop(spec: Spec | undefined, state: HookState): void {
  for (const [i, h] of (spec?.hooks?.poststop ?? []).entries()) {
    debug(`running poststop hook #${i}: ${JSON.stringify(h.args ?? [h.path])} (${h.path})`);
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
    const ids = (m?.[1] ?? '').trim().split(/\s+/).map(Number);
    return ids[ids.length - 1] || hostPid;
  } catch {
    return hostPid;
  }
}
