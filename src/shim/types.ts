// The contract between the shim's transport (ttrpc server, protobuf codecs,
// the `start`/`delete` invocations, the event publisher: src/shim/ttrpc/,
// src/shim/main.ts, src/shim/publisher.ts) and the Task service that drives
// containers with carton's own library (src/shim/task/).
//
// Messages cross this line as plain objects, exactly as protobufjs'
// `Type.toObject(msg, TO_OBJECT)` gives them (camelCase field names, int64
// as number, enums as numbers, bytes as Buffer, defaults filled in), and
// replies are plain objects that `Type.fromObject` accepts. So the service
// never sees wire bytes and the transport never sees containers.
import type { Keeper } from './keeper';
import { CartonError, type ErrorKind } from '../errors';

/** protobufjs `toObject` options used for every decoded request. */
export const TO_OBJECT = {
  longs: Number,
  enums: Number,
  bytes: Buffer,
  defaults: true,
  arrays: true,
  objects: true,
} as const;

/** google.protobuf.Timestamp as a plain object. */
export interface Timestamp {
  seconds: number;
  nanos: number;
}
/**
 * google.protobuf.Any as a plain object. In a request the transport leaves
 * `value` as bytes (for runtime-spec types, e.g. Update's LinuxResources,
 * containerd sends JSON bytes); when `typeUrl` names a protobuf type the
 * transport has (e.g. Create's 'containerd.runc.v1.Options') it adds
 * `object`, the decoded value, too. In a reply or an event the service may give
 * `object` (a plain object of the proto type named by `typeUrl`, e.g.
 * 'io.containerd.cgroups.v1.Metrics') instead of `value`; the transport
 * encodes it with that type.
 */
export interface Any {
  typeUrl: string;
  value?: Buffer;
  object?: Record<string, unknown>;
}

/** gRPC status codes the service may fail with (containerd maps them to errdefs). */
export const Code = {
  UNKNOWN: 2,
  INVALID_ARGUMENT: 3,
  DEADLINE_EXCEEDED: 4,
  NOT_FOUND: 5,
  ALREADY_EXISTS: 6,
  PERMISSION_DENIED: 7,
  FAILED_PRECONDITION: 9,
  UNIMPLEMENTED: 12,
  INTERNAL: 13,
  UNAVAILABLE: 14,
} as const;

/** Thrown by a service method; the transport replies with this status, one line. */
export class ShimError extends CartonError {
  constructor(
    readonly code: number,
    message: string,
    cause?: unknown,
  ) {
    super(message, { kind: KIND_OF_CODE[code] ?? 'failed', cause });
    this.name = 'ShimError';
  }
}

/** The kind a gRPC status stands for (the reverse of src/shim/task/errors.ts), for errors made from a status. */
const KIND_OF_CODE: Partial<Record<number, ErrorKind>> = {
  [Code.INVALID_ARGUMENT]: 'invalid-config',
  [Code.NOT_FOUND]: 'not-found',
  [Code.ALREADY_EXISTS]: 'exists',
  [Code.PERMISSION_DENIED]: 'denied',
  [Code.FAILED_PRECONDITION]: 'bad-state',
  [Code.UNIMPLEMENTED]: 'unsupported',
  [Code.DEADLINE_EXCEEDED]: 'timeout',
  [Code.INTERNAL]: 'internal',
};

/**
 * Sends a task event to containerd. `typeName` is the fully qualified proto
 * name, e.g. 'containerd.events.TaskExit', `topic` e.g. '/tasks/exit'; the
 * publisher wraps the event in an Any and an Envelope itself.
 */
export interface Publisher {
  publish(topic: string, typeName: string, event: Record<string, unknown>): void;
  /** waits until every event published so far has been delivered (or given up on) */
  flush(): Promise<void>;
}

/** What the shim process knows about itself, from containerd's flags and environment. */
export interface ShimContext {
  namespace: string;
  /** containerd's gRPC address (-address) */
  address: string;
  /** containerd's ttrpc address (TTRPC_ADDRESS env) */
  ttrpcAddress: string;
  /** -publish-binary */
  publishBinary: string;
  debug: boolean;
  publisher: Publisher;
  /** the native parent holding our fds and exits across a crash (keeper.ts); absent in in-process tests */
  keeper?: Keeper;
  /** the service calls this when its last task is gone and Shutdown was asked */
  exit(): void;
}

/**
 * containerd.task.v2.Task, one method per rpc (method names as in shim.proto).
 * Each takes the decoded request and resolves to the reply object.
 */
export type TaskMethod =
  | 'State'
  | 'Create'
  | 'Start'
  | 'Delete'
  | 'Pids'
  | 'Pause'
  | 'Resume'
  | 'Checkpoint'
  | 'Kill'
  | 'Exec'
  | 'ResizePty'
  | 'CloseIO'
  | 'Update'
  | 'Wait'
  | 'Stats'
  | 'Connect'
  | 'Shutdown';

export type TaskService = Record<TaskMethod, (req: Record<string, any>) => Promise<Record<string, any>>>;

/** src/shim/task/index.ts exports `createTaskService` of this type. */
export type TaskServiceFactory = (ctx: ShimContext) => TaskService;
