// The parts of runtime-spec's config.json that carton reads, typed. The
// schema (schemas/config.schema.json) has validated the whole document first.
import type { SpecCaps } from '../plan/caps';
import type { Resources } from '../cgroups/types';

export interface Mount {
  destination: string;
  source?: string;
  type?: string;
  options?: string[];
  uidMappings?: IdMap[];
  gidMappings?: IdMap[];
}

export interface IdMap {
  containerID: number;
  hostID: number;
  size: number;
}

export interface Process {
  terminal?: boolean;
  consoleSize?: { height: number; width: number };
  cwd: string;
  env?: string[];
  args?: string[];
  commandLine?: string;
  /** uid/gid default to 0 when absent, as in runc */
  user?: { uid?: number; gid?: number; umask?: number; additionalGids?: number[]; username?: string };
  rlimits?: Array<{ type: string; soft: number; hard: number }>;
  capabilities?: SpecCaps;
  noNewPrivileges?: boolean;
  oomScoreAdj?: number;
  apparmorProfile?: string;
  selinuxLabel?: string;
  scheduler?: { policy: string; nice?: number; priority?: number; flags?: string[]; runtime?: number; deadline?: number; period?: number };
  ioPriority?: { class: string; priority?: number };
  execCPUAffinity?: unknown;
}

export interface Hook {
  path: string;
  args?: string[];
  env?: string[];
  timeout?: number;
}

export interface Device {
  type: 'c' | 'b' | 'u' | 'p';
  path: string;
  major?: number;
  minor?: number;
  fileMode?: number;
  uid?: number;
  gid?: number;
}

export interface Linux {
  namespaces?: Array<{ type: string; path?: string }>;
  uidMappings?: IdMap[];
  gidMappings?: IdMap[];
  timeOffsets?: Record<string, { secs?: number; nanosecs?: number }>;
  devices?: Device[];
  cgroupsPath?: string;
  resources?: Resources;
  rootfsPropagation?: string;
  seccomp?: Seccomp;
  sysctl?: Record<string, string>;
  maskedPaths?: string[];
  readonlyPaths?: string[];
  mountLabel?: string;
  intelRdt?: unknown;
  personality?: { domain: string; flags?: string[] };
  netDevices?: Record<string, { name?: string }>;
  memoryPolicy?: { mode: string; nodes?: string; flags?: string[] };
}

export interface SeccompArg {
  index: number;
  value: number;
  valueTwo?: number;
  op: string;
}

export interface Seccomp {
  defaultAction: string;
  defaultErrnoRet?: number;
  architectures?: string[];
  flags?: string[];
  listenerPath?: string;
  listenerMetadata?: string;
  syscalls?: Array<{ names: string[]; action: string; errnoRet?: number; args?: SeccompArg[] }>;
}

export interface Spec {
  ociVersion: string;
  root?: { path: string; readonly?: boolean };
  mounts?: Mount[];
  process?: Process;
  hostname?: string;
  domainname?: string;
  hooks?: Record<string, Hook[] | undefined>;
  annotations?: Record<string, string>;
  linux?: Linux;
}
