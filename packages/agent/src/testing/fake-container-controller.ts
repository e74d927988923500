import type { NetworkBinding } from '@stevedore/core/host';
import { LABEL } from '../docker/labels';
import {
  parseInitExecFailure,
  type ContainerController,
  type ContainerEvent,
  type ContainerObservation,
  type CreateContainerRequest,
  type DockerHealth,
  type EventHandlers,
  type LogOptions,
  type LogSink,
  type Subscription,
  type VolumeRequest,
} from '../exec/container-controller';

/**
 * An in-memory dockerd for tests (swarmkit StubAPIClient): it keeps container
 * state and emits events like the real daemon, so tests assert on outcomes,
 * never on call order. Test hooks (exit, kill, setHealth, restartDaemon)
 * play the part of processes and operators.
 */
export interface FakeContainer {
  id: string;
  name: string;
  labels: Record<string, string>;
  request: CreateContainerRequest;
  state: 'created' | 'running' | 'exited';
  exitCode?: number;
  startedAt?: number;
  finishedAt?: number;
  oomKilled: boolean;
  health?: DockerHealth;
  bindings: NetworkBinding[];
  /** One entry per write; `time` (RFC 3339) is what `timestamps` prefixes, one line per entry then. */
  logs: { stream: 'stdout' | 'stderr'; data: Buffer; time?: string }[];
}

export class DockerError extends Error {
  constructor(
    readonly statusCode: number,
    message: string,
  ) {
    super(message);
  }
}

export class FakeContainerController implements ContainerController {
  readonly images = new Set<string>();
  readonly containers = new Map<string, FakeContainer>();
  readonly volumes = new Map<string, VolumeRequest>();
  readonly stopOrder: string[] = [];
  startCount = 0;
  /** Log entries handed to readers (backpressure tests). */
  logReads = 0;
  /** Images the fake registry can serve; pulling anything else fails like an unreachable registry. */
  readonly registry = new Set<string>();
  createError: ((req: CreateContainerRequest) => string | undefined) | undefined;
  startError: ((c: FakeContainer) => string | undefined) | undefined;
  /** Called right after a container starts (e.g. to make it exit at once). */
  onStart: ((c: FakeContainer) => void) | undefined;
  /** The answer of a container's health check command run by exec (runHealthCheck); none: it fails. */
  healthCheckPasses: ((c: FakeContainer) => boolean) | undefined;
  /** Health check commands run by exec, as [container name, argv]. */
  readonly healthChecksRun: [string, string[]][] = [];
  /** Containers whose main process ignores SIGTERM: a stop ends in SIGKILL (137). */
  readonly ignoreSigterm = new Set<string>();
  private nextId = 1;
  private nextPort = 32768;
  private readonly subscribers = new Set<{ labels: Record<string, string>; handlers: EventHandlers }>();

  constructor(private readonly now: () => number = () => Date.now()) {}

  async imageExists(image: string): Promise<boolean> {
    return this.images.has(image);
  }

  /** Credentials each pull was made with, by image (tests of repositoryCredentials). */
  readonly pullAuth = new Map<string, { username: string; password: string } | undefined>();

  async pullImage(image: string, auth?: { username: string; password: string }): Promise<void> {
    this.pullAuth.set(image, auth);
    if (!this.registry.has(image)) throw new DockerError(500, `Get "https://registry-1.docker.io/v2/": dial tcp: lookup registry-1.docker.io: no such host`);
    this.images.add(image);
  }

  async ensureVolume(v: VolumeRequest): Promise<void> {
    if (this.volumes.has(v.name)) return;
    if (v.mustExist) throw new DockerError(404, `volume ${v.name} does not exist and autoprovision is false`);
    this.volumes.set(v.name, v);
  }

  async removeVolume(name: string): Promise<void> {
    this.volumes.delete(name);
  }

  async createContainer(req: CreateContainerRequest): Promise<string> {
    if (!this.images.has(req.image)) throw new DockerError(404, `No such image: ${req.image}`);
    const err = this.createError?.(req);
    if (err) throw new DockerError(500, err);
    for (const m of req.mounts) if (m.type === 'volume' && !this.volumes.has(m.source)) throw new DockerError(404, `no such volume ${m.source}`);
    const id = (this.nextId++).toString(16).padStart(64, '0');
    this.containers.set(id, { id, name: req.dockerName, labels: req.labels, request: req, state: 'created', oomKilled: false, bindings: [], logs: [] });
    this.emit(id, 'create');
    return id;
  }

  async startContainer(runtimeId: string): Promise<void> {
    const c = this.get(runtimeId);
    if (c.state === 'running') return;
    const err = this.startError?.(c);
    if (err) throw new DockerError(400, err);
    c.state = 'running';
    c.startedAt = this.now();
    delete c.exitCode;
    if (c.request.definition.healthCheck) c.health = 'starting';
    c.bindings = [];
    for (const pm of c.request.networkMode === 'bridge' ? c.request.definition.portMappings ?? [] : []) {
      const hostPort = pm.hostPort ? pm.hostPort : this.nextPort++;
      c.bindings.push({ bindIP: c.request.hostIp, containerPort: pm.containerPort!, hostPort, protocol: pm.protocol ?? 'tcp' });
    }
    this.startCount++;
    this.emit(runtimeId, 'start');
    this.onStart?.(c);
  }

  async stopContainer(runtimeId: string, _timeoutSeconds: number): Promise<void> {
    const c = this.containers.get(runtimeId);
    if (!c || c.state !== 'running') return;
    this.stopOrder.push(c.labels[LABEL.container] ?? c.name);
    this.emit(runtimeId, 'kill');
    this.finish(c, this.ignoreSigterm.has(c.labels[LABEL.container] ?? '') ? 137 : 143);
    this.emit(runtimeId, 'stop');
  }

  async removeContainer(runtimeId: string): Promise<void> {
    if (!this.containers.has(runtimeId)) return;
    this.emit(runtimeId, 'destroy');
    this.containers.delete(runtimeId);
  }

  async inspectContainer(runtimeId: string): Promise<ContainerObservation | undefined> {
    const c = this.containers.get(runtimeId);
    return c ? this.observe(c) : undefined;
  }

  async listContainers(labels: Record<string, string>): Promise<ContainerObservation[]> {
    return [...this.containers.values()].filter((c) => matches(c.labels, labels)).map((c) => this.observe(c));
  }

  subscribeEvents(labels: Record<string, string>, handlers: EventHandlers): Subscription {
    const sub = { labels, handlers };
    this.subscribers.add(sub);
    setImmediate(() => handlers.onReconnected());
    return { close: () => this.subscribers.delete(sub) };
  }

  /**
   * Like Docker: the tail of what the container wrote, then (follow) what it
   * writes until it stops; one entry at a time, pausing while the sink is full.
   * `logReads` counts entries handed out, so tests can see the pause reach here.
   */
  async openLogs(runtimeId: string, options: LogOptions, sink: LogSink): Promise<Subscription> {
    const c = this.get(runtimeId);
    let next = options.tail > 0 ? Math.max(0, c.logs.length - options.tail) : 0;
    let closed = false;
    let waiting = false;
    let timer: NodeJS.Timeout | undefined;
    const pump = () => {
      waiting = false;
      while (!closed && next < c.logs.length) {
        const l = c.logs[next++]!;
        const time = l.time ?? '1970-01-01T00:00:00Z';
        if (options.since !== undefined && rfc3339Nanos(time) < sinceNanos(options.since)) continue;
        this.logReads++;
        const data = options.timestamps ? Buffer.concat([Buffer.from(`${time} `), l.data]) : l.data;
        if (!sink.onData(l.stream, data) && !closed) {
          waiting = true;
          sink.waitDrain(pump);
          return;
        }
      }
      if (closed) return;
      if (!options.follow || !this.containers.has(runtimeId) || c.state !== 'running') {
        closed = true;
        clearInterval(timer);
        sink.onEnd();
      }
    };
    setImmediate(pump);
    if (options.follow) timer = setInterval(() => !waiting && pump(), 10);
    return {
      close: () => {
        closed = true;
        clearInterval(timer);
      },
    };
  }

  async initExecFailure(runtimeId: string): Promise<string | undefined> {
    const c = this.containers.get(runtimeId);
    return c ? parseInitExecFailure(c.logs.map((l) => l.data.toString()).join('')) : undefined;
  }

  async runHealthCheck(runtimeId: string, argv: string[], _timeoutMs: number): Promise<boolean> {
    const c = this.containers.get(runtimeId);
    if (!c) throw new DockerError(404, `No such container: ${runtimeId}`);
    if (c.state !== 'running') throw new DockerError(409, `Container ${runtimeId} is not running`);
    this.healthChecksRun.push([c.labels[LABEL.container] ?? c.name, argv]);
    return this.healthCheckPasses?.(c) ?? false;
  }

  // ---- test hooks: what processes, operators and the daemon do ----

  /** The container of a task by its container name (the newest one). */
  byName(container: string, taskArn?: string): FakeContainer | undefined {
    const list = [...this.containers.values()].filter((c) => c.labels[LABEL.container] === container && (!taskArn || c.labels[LABEL.task] === taskArn));
    return list[list.length - 1];
  }

  /** The main process exits by itself. */
  exit(container: string, code: number, opts: { oom?: boolean } = {}): void {
    const c = this.byName(container);
    if (!c || c.state !== 'running') throw new Error(`fake: ${container} is not running`);
    if (opts.oom) {
      c.oomKilled = true;
      this.emit(c.id, 'oom');
    }
    this.finish(c, code);
  }

  setHealth(container: string, health: DockerHealth): void {
    const c = this.byName(container)!;
    c.health = health;
    this.emit(c.id, 'health', { health });
  }

  /** `docker rm -f` by someone else. */
  removeOutside(container: string): void {
    const c = this.byName(container)!;
    if (c.state === 'running') this.finish(c, 137);
    this.emit(c.id, 'destroy');
    this.containers.delete(c.id);
  }

  /** dockerd restarts without live-restore: every running container dies, no events are delivered for it. */
  restartDaemon(): void {
    for (const c of this.containers.values()) {
      if (c.state !== 'running') continue;
      c.state = 'exited';
      c.exitCode = 255;
      c.finishedAt = this.now();
    }
    for (const s of this.subscribers) setImmediate(() => s.handlers.onReconnected());
  }

  private finish(c: FakeContainer, code: number): void {
    c.state = 'exited';
    c.exitCode = code;
    c.finishedAt = this.now();
    this.emit(c.id, 'die', { exitCode: String(code) });
  }

  private get(id: string): FakeContainer {
    const c = this.containers.get(id);
    if (!c) throw new DockerError(404, `No such container: ${id}`);
    return c;
  }

  private observe(c: FakeContainer): ContainerObservation {
    const o: ContainerObservation = {
      runtimeId: c.id,
      dockerName: c.name,
      labels: { ...c.labels },
      state: c.state,
      running: c.state === 'running',
      oomKilled: c.oomKilled,
      networkBindings: c.state === 'running' ? c.bindings.map((b) => ({ ...b })) : [],
    };
    if (c.exitCode !== undefined && c.state === 'exited') o.exitCode = c.exitCode;
    if (c.startedAt !== undefined) o.startedAt = c.startedAt;
    if (c.finishedAt !== undefined) o.finishedAt = c.finishedAt;
    if (c.health) o.health = c.health;
    return o;
  }

  private emit(id: string, kind: ContainerEvent['kind'], extra: { exitCode?: string; health?: DockerHealth } = {}): void {
    const c = this.containers.get(id);
    const labels = { ...(c?.labels ?? {}) };
    const ev: ContainerEvent = { kind, runtimeId: id, labels, time: this.now() };
    if (extra.exitCode !== undefined) ev.exitCode = Number(extra.exitCode);
    if (extra.health) ev.health = extra.health;
    for (const s of this.subscribers) if (matches(labels, s.labels)) setImmediate(() => s.handlers.onEvent(ev));
  }
}

function matches(have: Record<string, string>, want: Record<string, string>): boolean {
  return Object.entries(want).every(([k, v]) => have[k] === v);
}

function rfc3339Nanos(time: string): bigint {
  const m = /^(.*?)(?:\.(\d+))?Z$/.exec(time);
  return BigInt(Date.parse(`${m?.[1] ?? time}Z`) / 1000) * 1_000_000_000n + BigInt((m?.[2] ?? '').padEnd(9, '0').slice(0, 9) || '0');
}

function sinceNanos(since: string): bigint {
  const [sec, frac = ''] = since.split('.');
  return BigInt(sec ?? '0') * 1_000_000_000n + BigInt(frac.padEnd(9, '0').slice(0, 9) || '0');
}
