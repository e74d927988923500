import type Docker from 'dockerode';
import type { Logger } from 'pino';
import type { NetworkBinding } from '@stevedore/core/host';
import { toDockerCreateOptions } from './create-options';
import { dockerTime } from './docker-client';
import { JsonLines, subscribeDockerEvents } from './events';
import { coalesceFrames, LogDemuxer } from './log-demux';
import { DOCKER_TIMEOUTS } from './timeouts';
import { flushNeighbor } from './neighbor-cache';
import {
  parseInitExecFailure,
  statusCodeOf,
  type ContainerController,
  type ContainerObservation,
  type CreateContainerRequest,
  type DockerHealth,
  type EventHandlers,
  type LogOptions,
  type LogSink,
  type RegistryAuth,
  type StatsSink,
  type StatsSource,
  type Subscription,
  type VolumeRequest,
} from '../exec/container-controller';

/** The registry an image reference names (Docker's rule: a first part with '.', ':' or 'localhost'), else Docker Hub. */
export function registryOf(image: string): string {
  const first = image.split('/')[0]!;
  return image.includes('/') && (first.includes('.') || first.includes(':') || first === 'localhost') ? first : 'https://index.docker.io/v1/';
}

const deadline = (ms: number) => AbortSignal.timeout(ms);

/** Docker's published ports -> ECS networkBindings (IPv6 "::" bindings hidden, as ECS does by default). */
export function toNetworkBindings(ports: Docker.ContainerInspectInfo['NetworkSettings']['Ports'] | undefined): NetworkBinding[] {
  const out: NetworkBinding[] = [];
  for (const [key, list] of Object.entries(ports ?? {})) {
    if (!list) continue;
    const [port, proto] = key.split('/');
    for (const b of list) {
      if (!b.HostPort || b.HostIp === '::') continue;
      out.push({ bindIP: b.HostIp || '0.0.0.0', containerPort: Number(port), hostPort: Number(b.HostPort), protocol: proto === 'udp' ? 'udp' : 'tcp' });
    }
  }
  return out.sort((a, b) => a.containerPort - b.containerPort || a.protocol.localeCompare(b.protocol));
}

export function toObservation(info: Docker.ContainerInspectInfo): ContainerObservation {
  const st = info.State;
  const startedAt = dockerTime(st.StartedAt);
  const finishedAt = dockerTime(st.FinishedAt);
  const obs: ContainerObservation = {
    runtimeId: info.Id,
    dockerName: info.Name.replace(/^\//, ''),
    labels: info.Config?.Labels ?? {},
    state: st.Status,
    running: st.Running,
    oomKilled: st.OOMKilled,
    networkBindings: toNetworkBindings(info.NetworkSettings?.Ports),
  };
  if (startedAt !== undefined) obs.startedAt = startedAt;
  if (finishedAt !== undefined) obs.finishedAt = finishedAt;
  // Exit codes are meaningful only once the process ran and ended.
  if (!st.Running && startedAt !== undefined && (st.Status === 'exited' || st.Status === 'dead')) obs.exitCode = st.ExitCode;
  if (st.Error) obs.error = st.Error;
  const health = (st as { Health?: { Status?: string } }).Health?.Status;
  if (health === 'starting' || health === 'healthy' || health === 'unhealthy') obs.health = health as DockerHealth;
  return obs;
}

/** The real ContainerController: dockerode, every call bounded by docker/timeouts.ts. */
export class DockerController implements ContainerController, StatsSource {
  constructor(
    private readonly docker: Docker,
    private readonly log: Logger,
  ) {}

  async imageExists(image: string): Promise<boolean> {
    try {
      await this.docker.getImage(image).inspect({ abortSignal: deadline(DOCKER_TIMEOUTS.imageInspect) } as object);
      return true;
    } catch (err) {
      if (statusCodeOf(err) === 404) return false;
      throw err;
    }
  }

  async pullImage(image: string, auth?: RegistryAuth): Promise<void> {
    const abort = new AbortController();
    const total = setTimeout(() => abort.abort(new Error(`pull timed out after ${DOCKER_TIMEOUTS.pull / 60000}m`)), DOCKER_TIMEOUTS.pull);
    let idle: NodeJS.Timeout | undefined;
    const touch = () => {
      clearTimeout(idle);
      idle = setTimeout(() => abort.abort(new Error(`pull made no progress for ${DOCKER_TIMEOUTS.pullInactivity / 1000}s`)), DOCKER_TIMEOUTS.pullInactivity);
    };
    try {
      touch();
      const authconfig = auth ? { username: auth.username, password: auth.password, serveraddress: registryOf(image) } : undefined;
      const stream = (await this.docker.pull(image, { abortSignal: abort.signal, ...(authconfig ? { authconfig } : {}) })) as NodeJS.ReadableStream;
      await new Promise<void>((resolve, reject) => {
        abort.signal.addEventListener('abort', () => {
          (stream as unknown as { destroy(): void }).destroy();
          reject(abort.signal.reason as Error);
        });
        this.docker.modem.followProgress(
          stream,
          (err: Error | null, output: { error?: string }[]) => {
            if (err) return reject(err);
            const failed = output.find((o) => o.error);
            if (failed) return reject(new Error(failed.error));
            resolve();
          },
          () => touch(),
        );
      });
    } finally {
      clearTimeout(total);
      clearTimeout(idle);
    }
  }

  async ensureVolume(v: VolumeRequest): Promise<void> {
    try {
      await this.docker.getVolume(v.name).inspect({ abortSignal: deadline(DOCKER_TIMEOUTS.volume) } as object);
      return;
    } catch (err) {
      if (statusCodeOf(err) !== 404) throw err;
    }
    if (v.mustExist) throw new Error(`volume ${v.name} does not exist and autoprovision is false`);
    await this.docker.createVolume({ Name: v.name, Driver: v.driver, DriverOpts: v.driverOpts, Labels: v.labels, abortSignal: deadline(DOCKER_TIMEOUTS.volume) } as never);
  }

  async removeVolume(name: string): Promise<void> {
    try {
      await this.docker.getVolume(name).remove({ abortSignal: deadline(DOCKER_TIMEOUTS.volume) } as object);
    } catch (err) {
      if (statusCodeOf(err) !== 404) throw err;
    }
  }

  async createContainer(req: CreateContainerRequest): Promise<string> {
    const opts = { ...toDockerCreateOptions(req), abortSignal: deadline(DOCKER_TIMEOUTS.create) };
    const c = await this.docker.createContainer(opts as Docker.ContainerCreateOptions);
    return c.id;
  }

  async startContainer(runtimeId: string): Promise<void> {
    try {
      await this.docker.getContainer(runtimeId).start({ abortSignal: deadline(DOCKER_TIMEOUTS.start) } as object);
    } catch (err) {
      if (statusCodeOf(err) === 304) return; // already started
      throw err;
    }
    await this.forgetStaleNeighbor(runtimeId);
  }

  /** A container started with a MAC of our choosing: see neighbor-cache.ts. Best effort. */
  private async forgetStaleNeighbor(runtimeId: string): Promise<void> {
    try {
      const info = await this.docker.getContainer(runtimeId).inspect({ abortSignal: deadline(DOCKER_TIMEOUTS.inspect) } as object);
      if (!(info.Config as { MacAddress?: string } | undefined)?.MacAddress) return;
      for (const n of Object.values(info.NetworkSettings?.Networks ?? {})) {
        if (n?.IPAddress) await flushNeighbor(n.IPAddress);
      }
    } catch (err) {
      this.log.debug({ err, runtimeId }, 'could not flush the neighbour cache entry of a started container');
    }
  }

  async stopContainer(runtimeId: string, timeoutSeconds: number): Promise<void> {
    try {
      await this.docker.getContainer(runtimeId).stop({ t: timeoutSeconds, abortSignal: deadline(timeoutSeconds * 1000 + DOCKER_TIMEOUTS.stopGrace) } as object);
    } catch (err) {
      const code = statusCodeOf(err);
      if (code === 304 || code === 404) return; // already stopped, or gone: the caller inspects
      throw err;
    }
  }

  async removeContainer(runtimeId: string): Promise<void> {
    try {
      await this.docker.getContainer(runtimeId).remove({ force: true, v: true, abortSignal: deadline(DOCKER_TIMEOUTS.remove) } as object);
    } catch (err) {
      if (statusCodeOf(err) === 404) return;
      throw err;
    }
  }

  async inspectContainer(runtimeId: string): Promise<ContainerObservation | undefined> {
    try {
      const info = await this.docker.getContainer(runtimeId).inspect({ abortSignal: deadline(DOCKER_TIMEOUTS.inspect) } as object);
      return toObservation(info);
    } catch (err) {
      if (statusCodeOf(err) === 404) return undefined;
      throw err;
    }
  }

  async listContainers(labels: Record<string, string>): Promise<ContainerObservation[]> {
    const list = await this.docker.listContainers({
      all: true,
      filters: { label: Object.entries(labels).map(([k, v]) => `${k}=${v}`) },
      abortSignal: deadline(DOCKER_TIMEOUTS.list),
    } as Docker.ContainerListOptions);
    const out: ContainerObservation[] = [];
    for (const c of list) {
      const obs = await this.inspectContainer(c.Id);
      if (obs) out.push(obs);
    }
    return out;
  }

  subscribeEvents(labels: Record<string, string>, handlers: EventHandlers): Subscription {
    return subscribeDockerEvents(this.docker, labels, handlers, this.log.child({ component: 'docker-events' }));
  }

  async initExecFailure(runtimeId: string): Promise<string | undefined> {
    let text = '';
    try {
      await new Promise<void>((resolve, reject) => {
        this.openLogs(runtimeId, { follow: false, tail: 5, sinceMs: 0 }, {
          onData: (_s, d) => ((text += d.toString()), true),
          waitDrain: (resume) => resume(),
          onEnd: (err) => (err ? reject(err) : resolve()),
        }).catch(reject);
      });
    } catch (err) {
      if (statusCodeOf(err) === 404) return undefined;
      throw err;
    }
    return parseInitExecFailure(text);
  }

  async runHealthCheck(runtimeId: string, argv: string[], timeoutMs: number): Promise<boolean> {
    const exec = await this.docker.getContainer(runtimeId).exec({ Cmd: argv, AttachStdout: true, AttachStderr: true, abortSignal: deadline(DOCKER_TIMEOUTS.execCreate) } as Docker.ExecCreateOptions);
    // Attached, so the stream ends when the command exits; its output is dropped (Docker keeps the probes' output, we need only the code).
    const stream = await exec.start({ hijack: true, stdin: false });
    const finished = await new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => resolve(false), timeoutMs);
      const done = (ok: boolean) => {
        clearTimeout(timer);
        resolve(ok);
      };
      stream.on('end', () => done(true));
      stream.on('close', () => done(true));
      stream.on('error', () => done(false));
      stream.resume();
    });
    // Timed out: the command is left to finish on its own, as Docker's own probes are.
    stream.destroy();
    if (!finished) return false;
    const info = await exec.inspect({ abortSignal: deadline(DOCKER_TIMEOUTS.inspect) } as object);
    return info.ExitCode === 0;
  }

  /**
   * Streams a container's logs, follow or not: never the whole log in memory
   * (dockerode buffers a non-follow read, so this dials the stream itself),
   * and paused while the sink is full, so Docker is read no faster than the
   * reader takes it.
   */
  async openLogs(runtimeId: string, options: LogOptions, sink: LogSink): Promise<Subscription> {
    const container = this.docker.getContainer(runtimeId);
    const info = await container.inspect({ abortSignal: deadline(DOCKER_TIMEOUTS.inspect) } as object);
    const tty = info.Config.Tty;
    const query = {
      stdout: true,
      stderr: true,
      follow: options.follow,
      tail: options.tail > 0 ? options.tail : 'all',
      ...(options.since !== undefined ? { since: options.since } : options.sinceMs > 0 ? { since: options.sinceMs / 1000 } : {}),
      ...(options.timestamps ? { timestamps: true } : {}),
    };
    const abort = new AbortController();
    // The deadline covers opening only; reading lasts as long as the reader.
    const openTimer = setTimeout(() => abort.abort(new Error(`opening the log stream took over ${DOCKER_TIMEOUTS.logsOpen} ms`)), DOCKER_TIMEOUTS.logsOpen);
    let stream: NodeJS.ReadableStream;
    try {
      stream = await new Promise<NodeJS.ReadableStream>((resolve, reject) =>
        this.docker.modem.dial(
          {
            path: `/containers/${encodeURIComponent(runtimeId)}/logs?`,
            method: 'GET',
            abortSignal: abort.signal,
            isStream: true,
            statusCodes: { 200: true, 404: 'no such container', 500: 'server error' },
            options: query,
          } as never,
          (err: unknown, data: unknown) => (err ? reject(err) : resolve(data as NodeJS.ReadableStream)),
        ),
      );
    } finally {
      clearTimeout(openTimer);
    }
    const demux = new LogDemuxer();
    let ended = false;
    const end = (err?: Error) => {
      if (ended) return;
      ended = true;
      sink.onEnd(err);
    };
    stream.on('data', (chunk: Buffer) => {
      let full = false;
      if (tty) full = !sink.onData('stdout', chunk);
      else for (const f of coalesceFrames(demux.push(chunk))) if (!sink.onData(f.stream, f.data)) full = true;
      if (full && !ended) {
        stream.pause();
        sink.waitDrain(() => stream.resume());
      }
    });
    stream.once('end', () => end());
    stream.once('close', () => end());
    stream.once('error', (err: Error) => end(abort.signal.aborted ? undefined : err));
    return {
      close() {
        ended = true;
        abort.abort();
        (stream as unknown as { destroy(): void }).destroy();
      },
    };
  }

  /**
   * Follows a container's stats stream (one message a second from the
   * daemon). A stream, not one-shot reads: each of those costs the daemon a
   * second of waiting for its second sample. The stream ends when the
   * container stops.
   */
  async openStats(runtimeId: string, sink: StatsSink): Promise<Subscription> {
    const abort = new AbortController();
    const stream = (await this.docker.getContainer(runtimeId).stats({ stream: true, abortSignal: abort.signal } as never)) as unknown as NodeJS.ReadableStream;
    const lines = new JsonLines();
    let ended = false;
    const end = (err?: Error) => {
      if (ended) return;
      ended = true;
      sink.onEnd(err);
    };
    stream.on('data', (chunk: Buffer) => {
      for (const raw of lines.push(chunk)) sink.onStats(raw);
    });
    stream.once('end', () => end());
    stream.once('close', () => end());
    stream.once('error', (err: Error) => end(abort.signal.aborted ? undefined : err));
    return {
      close() {
        ended = true;
        abort.abort();
        (stream as unknown as { destroy(): void }).destroy();
      },
    };
  }
}
