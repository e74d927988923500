import type { ContainerDefinition, NetworkBinding, NetworkMode } from '@stevedore/core/host';

/**
 * What the task runners need from a container runtime. DockerController is
 * the real one; tests use FakeContainerController, which keeps state and
 * emits events like dockerd does.
 */
/** Private registry credentials for one pull (repositoryCredentials); never logged. */
export interface RegistryAuth {
  username: string;
  password: string;
}

export interface ContainerController {
  imageExists(image: string): Promise<boolean>;
  pullImage(image: string, auth?: RegistryAuth): Promise<void>;
  ensureVolume(volume: VolumeRequest): Promise<void>;
  removeVolume(name: string): Promise<void>;
  /** Returns the runtime id. */
  createContainer(request: CreateContainerRequest): Promise<string>;
  startContainer(runtimeId: string): Promise<void>;
  /** SIGTERM (the image's stop signal), SIGKILL after timeoutSeconds. Stopping a stopped container is not an error. */
  stopContainer(runtimeId: string, timeoutSeconds: number): Promise<void>;
  /** Removing a container that is already gone is not an error. */
  removeContainer(runtimeId: string): Promise<void>;
  /** undefined when the container does not exist (any more). */
  inspectContainer(runtimeId: string): Promise<ContainerObservation | undefined>;
  /** Containers (running or not) carrying all the given labels. */
  listContainers(labels: Record<string, string>): Promise<ContainerObservation[]>;
  /** Events of containers carrying all the given labels; reconnects by itself. */
  subscribeEvents(labels: Record<string, string>, handlers: EventHandlers): Subscription;
  openLogs(runtimeId: string, options: LogOptions, sink: LogSink): Promise<Subscription>;
  /**
   * With an init process (Init: true) a command that cannot be executed is
   * not a Docker start error: the init starts, fails to exec, and the
   * container exits 126/127. Returns the init's error ("exec /x failed: No
   * such file or directory") when that is what happened, so the agent can
   * report it as ECS does without init: CannotStartContainerError.
   */
  initExecFailure(runtimeId: string): Promise<string | undefined>;
  /**
   * Runs a container's health check command once, as Docker's probe does (an
   * exec in the container: its user, environment and namespaces); true when it
   * exits 0 within timeoutMs. For the agent's startup checks
   * (worker/startup-check.ts); Docker keeps running its own probes.
   */
  runHealthCheck(runtimeId: string, argv: string[], timeoutMs: number): Promise<boolean>;
}

/** Exit codes of an init (tini) whose exec of the command failed: 127 not found, 126 not executable. */
export const INIT_EXEC_FAILURE_CODES: readonly number[] = [126, 127];

/** tini's message for a failed exec, e.g. "[FATAL tini (7)] exec /x failed: No such file or directory". */
export function parseInitExecFailure(log: string): string | undefined {
  const m = /\[FATAL tini \(\d+\)\] (exec .* failed: .*)/.exec(log);
  return m ? m[1]!.trim() : undefined;
}

export interface Subscription {
  close(): void;
}

/** Receives a container's stats messages (Docker's stats JSON, one a second) until the stream ends. */
export interface StatsSink {
  onStats(raw: unknown): void;
  /** Called once: the container stopped, or the stream failed. */
  onEnd(error?: Error): void;
}

/** Where the usage collector gets stats streams from (DockerController; a fake in tests). */
export interface StatsSource {
  openStats(runtimeId: string, sink: StatsSink): Promise<Subscription>;
}

export interface ResolvedMount {
  type: 'bind' | 'volume';
  /** Host path (bind) or Docker volume name (volume). */
  source: string;
  containerPath: string;
  readOnly: boolean;
}

export interface VolumeRequest {
  name: string;
  driver: string;
  driverOpts: Record<string, string>;
  labels: Record<string, string>;
  /** A shared volume without autoprovision (ECS): use it if it exists, never create it. */
  mustExist?: boolean;
  /** An EFS volume's NFS server: the agent checks it answers before creating the volume (clear error, no hung mount). */
  nfsServer?: { host: string; port: number; fileSystemId: string };
}

export interface CreateContainerRequest {
  dockerName: string;
  image: string;
  labels: Record<string, string>;
  definition: ContainerDefinition;
  networkMode: NetworkMode;
  /** Task pidMode/ipcMode; only `host` (and ipc `none`) are honoured: `task` needs a shared pause container. */
  pidMode?: string;
  ipcMode?: string;
  /** Address every published port binds on (never 0.0.0.0: several agents may share a host). */
  hostIp: string;
  /** Docker names of the task's other containers by container name, for links and volumesFrom (a Map: names are the user's, `__proto__` included). */
  peers: ReadonlyMap<string, string>;
  mounts: ResolvedMount[];
  stopTimeoutSeconds: number;
  /** Values of the container's `secrets`, as environment variables (they win over `environment`). Never logged. */
  secretEnvironment?: { name: string; value: string }[];
  /** Variables of the container's `environmentFiles`, lowest precedence. Secret values: never logged. */
  fileEnvironment?: { name: string; value: string }[];
  /** The task's cgroup (FARGATE tasks): Docker's CgroupParent. */
  cgroupParent?: string;
  /** FARGATE ephemeralStorage where this host enforces it: Docker's StorageOpt size of the writable layer, in GiB. */
  storageSizeGiB?: number;
  /**
   * Namespaces joined from the task's pause container (its runtime id):
   * network for awsvpc, pid for pidMode task, ipc for ipcMode task.
   */
  namespaces?: { network?: string; pid?: string; ipc?: string };
  /** The pause container itself, when others join its IPC namespace. */
  shareableIpc?: boolean;
  /** The agent's own variables (metadata and credentials endpoint URIs): they win over both. */
  agentEnvironment?: { name: string; value: string }[];
  /** The MAC address the task endpoint's iptables rule matches (bridge mode). */
  macAddress?: string;
}

/** Docker's health states, as observed. */
export type DockerHealth = 'starting' | 'healthy' | 'unhealthy';

export interface ContainerObservation {
  runtimeId: string;
  dockerName: string;
  labels: Record<string, string>;
  /** Docker State.Status: created, running, paused, restarting, removing, exited, dead. */
  state: string;
  running: boolean;
  exitCode?: number;
  /** Epoch ms; absent when the container never started. */
  startedAt?: number;
  finishedAt?: number;
  oomKilled: boolean;
  error?: string;
  health?: DockerHealth;
  networkBindings: NetworkBinding[];
}

export type ContainerEventKind = 'create' | 'start' | 'die' | 'oom' | 'health' | 'destroy' | 'stop' | 'kill';

export interface ContainerEvent {
  kind: ContainerEventKind;
  runtimeId: string;
  labels: Record<string, string>;
  exitCode?: number;
  health?: DockerHealth;
  time: number;
}

export interface EventHandlers {
  onEvent(event: ContainerEvent): void;
  /** The stream was (re)opened after a break: events may have been missed, resync. */
  onReconnected(): void;
}

export interface LogOptions {
  follow: boolean;
  /** 0 = all lines. */
  tail: number;
  /** Epoch ms; 0 = from the start. */
  sinceMs: number;
  /** Each line prefixed with its RFC 3339 timestamp (nanoseconds) and a space, as `docker logs -t`. */
  timestamps?: boolean;
  /** Docker's `since` as `seconds.nanoseconds` (inclusive); wins over sinceMs. */
  since?: string;
}

/**
 * Where a log read goes. Reads are streamed, never collected: the producer
 * hands over each piece as Docker sends it and, when the sink says it is
 * full, stops reading Docker until the sink has drained (backpressure all the
 * way to the daemon, which then stops reading the log file).
 */
export interface LogSink {
  /** false: the reader is full; the producer pauses and calls waitDrain. */
  onData(stream: 'stdout' | 'stderr', data: Buffer): boolean;
  /** Calls `resume` once the reader can take more. */
  waitDrain(resume: () => void): void;
  /** Called once: the logs ended (follow: the container stopped) or failed. */
  onEnd(error?: Error): void;
}

/** Errors from the runtime carry the HTTP status when there is one (404 = no such object). */
export function statusCodeOf(err: unknown): number | undefined {
  const code = (err as { statusCode?: unknown } | null)?.statusCode;
  return typeof code === 'number' ? code : undefined;
}

/** Docker error text without dockerode's "(HTTP code 500) server error - " prefix. */
export function runtimeMessage(err: unknown): string {
  const e = err as { json?: { message?: unknown }; message?: unknown } | null;
  if (e && e.json && typeof e.json.message === 'string') return e.json.message;
  if (e && typeof e.message === 'string') return e.message.replace(/^\(HTTP code \d+\) [a-z ]+ - /, '').trim();
  return String(err);
}
