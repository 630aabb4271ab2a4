// A small promise-based Kubernetes CRI client (runtime.v1) for the engine
// tests, over grpc-js on containerd's unix socket. The proto is our own
// subset (test/cri/api.proto). The runtime handler is a parameter so that the
// same pod flow can run through the runc v2 shim pointed at carton, through
// runc itself, or through another shim.
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import * as path from 'path';

const PROTO = path.join(__dirname, 'cri', 'api.proto');

export type NamespaceMode = 'POD' | 'CONTAINER' | 'NODE' | 'TARGET';
export type ContainerState = 'CONTAINER_CREATED' | 'CONTAINER_RUNNING' | 'CONTAINER_EXITED' | 'CONTAINER_UNKNOWN';

export interface PodSandboxConfig {
  metadata: { name: string; uid: string; namespace: string; attempt?: number };
  hostname?: string;
  log_directory?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  linux?: {
    cgroup_parent?: string;
    security_context?: {
      namespace_options?: { network?: NamespaceMode; pid?: NamespaceMode; ipc?: NamespaceMode };
      readonly_rootfs?: boolean;
      privileged?: boolean;
    };
  };
}

export interface ContainerConfig {
  metadata: { name: string; attempt?: number };
  image: { image: string };
  command?: string[];
  args?: string[];
  working_dir?: string;
  envs?: { key: string; value: string }[];
  labels?: Record<string, string>;
  log_path?: string;
  tty?: boolean;
  linux?: {
    security_context?: {
      namespace_options?: { network?: NamespaceMode; pid?: NamespaceMode; ipc?: NamespaceMode };
      readonly_rootfs?: boolean;
      run_as_user?: { value: number };
      no_new_privs?: boolean;
    };
  };
}

export interface ContainerStatus {
  id: string;
  state: ContainerState;
  created_at: string;
  started_at: string;
  finished_at: string;
  exit_code: number;
  reason: string;
  message: string;
  log_path: string;
}

export interface ExecSyncResult {
  stdout: string;
  stderr: string;
  exitCode: number;
}

type Unary = (req: object, opts: grpc.CallOptions, cb: (err: grpc.ServiceError | null, res: unknown) => void) => void;

/** A connection to one CRI endpoint (`unix:///path/to/containerd.sock`). */
export class CriClient {
  private readonly runtime: grpc.Client;
  private readonly images: grpc.Client;

  constructor(
    endpoint: string,
    readonly timeoutMs = 60000,
  ) {
    const def = protoLoader.loadSync(PROTO, {
      keepCase: true,
      longs: String,
      enums: String,
      defaults: true,
      oneofs: true,
    });
    const pkg = grpc.loadPackageDefinition(def) as unknown as {
      runtime: { v1: { RuntimeService: grpc.ServiceClientConstructor; ImageService: grpc.ServiceClientConstructor } };
    };
    const address = endpoint.startsWith('unix:') ? endpoint : `unix://${endpoint}`;
    this.runtime = new pkg.runtime.v1.RuntimeService(address, grpc.credentials.createInsecure());
    this.images = new pkg.runtime.v1.ImageService(address, grpc.credentials.createInsecure());
  }

  close(): void {
    this.runtime.close();
    this.images.close();
  }

  /** One unary call; a gRPC error becomes an Error naming the rpc and carrying the server's message. */
  call<T>(rpc: string, req: object, client: grpc.Client = this.runtime): Promise<T> {
    const fn = (client as unknown as Record<string, Unary>)[rpc];
    if (typeof fn !== 'function') return Promise.reject(new Error(`CRI: no rpc ${rpc} in test/cri/api.proto`));
    return new Promise((resolve, reject) => {
      fn.call(client, req, { deadline: Date.now() + this.timeoutMs }, (err: grpc.ServiceError | null, res: unknown) => {
        if (err) reject(Object.assign(new Error(`CRI ${rpc}: ${err.details || err.message}`), { code: err.code }));
        else resolve(res as T);
      });
    });
  }

  version(): Promise<{ version: string; runtime_name: string; runtime_version: string; runtime_api_version: string }> {
    return this.call('Version', { version: 'v1' });
  }

  async imageStatus(image: string): Promise<{ id: string; repo_tags: string[] } | null> {
    const r = await this.call<{ image: { id: string; repo_tags: string[] } | null }>(
      'ImageStatus',
      { image: { image } },
      this.images,
    );
    return r.image;
  }

  async runPodSandbox(config: PodSandboxConfig, runtimeHandler: string): Promise<string> {
    return (await this.call<{ pod_sandbox_id: string }>('RunPodSandbox', { config, runtime_handler: runtimeHandler }))
      .pod_sandbox_id;
  }

  /** The sandbox's status; with `verbose`, `info` holds containerd's JSON (pid, runtime options). */
  podSandboxStatus(
    id: string,
    verbose = false,
  ): Promise<{ status: { id: string; state: string; runtime_handler: string }; info: Record<string, string> }> {
    return this.call('PodSandboxStatus', { pod_sandbox_id: id, verbose });
  }

  async stopPodSandbox(id: string): Promise<void> {
    await this.call('StopPodSandbox', { pod_sandbox_id: id });
  }

  async removePodSandbox(id: string): Promise<void> {
    await this.call('RemovePodSandbox', { pod_sandbox_id: id });
  }

  async createContainer(podId: string, config: ContainerConfig, sandboxConfig: PodSandboxConfig): Promise<string> {
    return (
      await this.call<{ container_id: string }>('CreateContainer', {
        pod_sandbox_id: podId,
        config,
        sandbox_config: sandboxConfig,
      })
    ).container_id;
  }

  async startContainer(id: string): Promise<void> {
    await this.call('StartContainer', { container_id: id });
  }

  /** SIGTERM (the image's stop signal), then SIGKILL after `timeoutSec`. */
  async stopContainer(id: string, timeoutSec: number): Promise<void> {
    await this.call('StopContainer', { container_id: id, timeout: timeoutSec });
  }

  async removeContainer(id: string): Promise<void> {
    await this.call('RemoveContainer', { container_id: id });
  }

  async containerStatus(
    id: string,
    verbose = false,
  ): Promise<{ status: ContainerStatus; info: Record<string, string> }> {
    return this.call('ContainerStatus', { container_id: id, verbose });
  }

  async listContainers(podId?: string): Promise<{ id: string; pod_sandbox_id: string; state: ContainerState }[]> {
    const r = await this.call<{ containers: { id: string; pod_sandbox_id: string; state: ContainerState }[] }>(
      'ListContainers',
      { filter: podId ? { pod_sandbox_id: podId } : {} },
    );
    return r.containers;
  }

  async execSync(id: string, cmd: string[], timeoutSec = 30): Promise<ExecSyncResult> {
    const r = await this.call<{ stdout: Buffer; stderr: Buffer; exit_code: number }>('ExecSync', {
      container_id: id,
      cmd,
      timeout: timeoutSec,
    });
    return { stdout: r.stdout.toString('utf8'), stderr: r.stderr.toString('utf8'), exitCode: r.exit_code };
  }
}
