import * as http from 'node:http';
import { execFile } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import type Docker from 'dockerode';
import type { Logger } from 'pino';
import type { ContainerDefinition, TaskAssignment } from '@stevedore/core/host';
import { ENDPOINT_LABEL } from '../docker/labels';
import { TaskEndpointUnavailable, type EndpointGrant } from '../worker/endpoint-grant';
import { DOCKER_TIMEOUTS } from '../docker/timeouts';
import type { TaskState } from '../worker/task-state';
import { containerMac, ENDPOINT_ADDRESS, EndpointRules } from './endpoint-rules';
import { probeEndpoint, removeStaleProbes } from './endpoint-probe';
import { ClockDriftReader } from './clock-drift';
import { containerMetadata, taskMetadata, taskWithTags, type DockerFacts } from './metadata-json';
import { statsWithRates, type StatsFrame } from './stats-json';
import { TaskCredentialsCache, type FetchCredentials } from './task-credentials';

/** A request from a container is answered within this, or fails (a Docker stats read takes about 1 s). */
const REQUEST_DEADLINE_MS = 10_000;

export interface TaskEndpointOptions {
  instanceId: string;
  docker: Docker;
  fetchCredentials: FetchCredentials;
  /** The agent's current view of a task (worker). */
  taskState(taskArn: string): TaskState | undefined;
  availabilityZone: string;
  /** The agent's --container-instance-tags (ECS_CONTAINER_INSTANCE_TAGS): TMDS taskWithTags `ContainerInstanceTags`. */
  containerInstanceTags?: Record<string, string>;
  log: Logger;
  now?: () => number;
}

/**
 * The bridge's IPv4 address and prefix, from `ip`: Node's networkInterfaces()
 * (libuv) leaves out interfaces without carrier, and a bridge with no
 * container attached has none.
 */
async function bridgeAddress(bridge: string): Promise<{ address: string; prefix: number }> {
  const out = await new Promise<string>((resolve, reject) =>
    execFile('ip', ['-4', '-o', 'addr', 'show', 'dev', bridge], { timeout: 10_000 }, (err, stdout, stderr) => (err ? reject(new Error(`ip addr show dev ${bridge}: ${String(stderr).trim() || err.message}`)) : resolve(String(stdout)))),
  );
  const m = /inet (\d+\.\d+\.\d+\.\d+)\/(\d+)/.exec(out);
  if (!m) throw new Error(`the Docker bridge ${bridge} has no IPv4 address on this host`);
  return { address: m[1]!, prefix: Number(m[2]) };
}

interface ContainerEntry {
  taskArn: string;
  name: string;
  /** Absent for awsvpc containers: they use the pause container's network (and its rule). */
  mac?: string;
  runtimeId?: string;
}

/** Registry name of a task's pause container (awsvpc): it has a rule but no metadata of its own. */
const PAUSE_ENTRY = '~internal~ecs~pause';

/**
 * The credentials and task metadata endpoint at 169.254.170.2 (ECS agent's
 * 51679 service), for this agent's containers only. It listens on the
 * Docker bridge's address (an ephemeral port: several agents share a host
 * in tests); per-container iptables rules (endpoint-rules.ts) bring each
 * container's requests for 169.254.170.2:80 here, and the whole path is
 * proven by a probe (endpoint-probe.ts) before any container is given the
 * endpoint. Every answer is bound to the caller's source address: a
 * credentials id or metadata id is honoured only for requests from a
 * container of the task it belongs to.
 */
export class TaskEndpoint {
  private server: http.Server | undefined;
  private rules: EndpointRules | undefined;
  private target = '';
  private failure: string | undefined = 'not started';
  private readonly containers = new Map<string, ContainerEntry>(); // by metadata id
  private readonly credentialIds = new Map<string, string>(); // credentials id -> task ARN
  private readonly taskCredentialIds = new Map<string, string>(); // task ARN -> credentials id
  private readonly probes = new Set<string>();
  private readonly addresses = new Map<string, string>(); // runtime id -> IPv4, while it runs
  readonly credentials: TaskCredentialsCache;
  private readonly log: Logger;
  private readonly now: () => number;
  private readonly clock: ClockDriftReader;

  constructor(private readonly o: TaskEndpointOptions) {
    this.log = o.log.child({ component: 'task-endpoint' });
    this.now = o.now ?? Date.now;
    this.credentials = new TaskCredentialsCache(o.fetchCredentials, this.now, this.log);
    this.clock = new ClockDriftReader(this.now);
  }

  /** Why containers get no endpoint, or undefined when it works. */
  get unavailable(): string | undefined {
    return this.failure;
  }

  /**
   * Finds the bridge, listens on its address, installs this agent's chains
   * and proves the path with a probe. Never throws: a host where it cannot
   * work (no iptables, no bridge) runs tasks without task roles, and says why.
   */
  async start(): Promise<void> {
    try {
      const inspected = (await this.o.docker.getNetwork('bridge').inspect()) as { Options?: Record<string, string> };
      const bridge = inspected.Options?.['com.docker.network.bridge.name'] ?? 'docker0';
      const addr = await bridgeAddress(bridge);
      const server = http.createServer((req, res) => void this.handle(req, res));
      server.requestTimeout = REQUEST_DEADLINE_MS;
      // A client that half-closes after its request (nc, some HTTP/1.0 clients) still gets the answer:
      // by default Node ends such a socket at once, dropping a response that awaits Docker.
      (server as unknown as { httpAllowHalfOpen: boolean }).httpAllowHalfOpen = true;
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(0, addr.address, () => resolve());
      });
      this.server = server;
      this.target = `${addr.address}:${(server.address() as { port: number }).port}`;
      this.rules = new EndpointRules(this.o.instanceId, bridge, undefined, (server.address() as { port: number }).port);
      await this.rules.reset();
      const stale = await this.rules.collectStale();
      const probes = await removeStaleProbes();
      if (stale.length || probes.length) this.log.info({ chains: stale, probeNamespaces: probes }, 'removed the endpoint rules and probe namespaces of agents that are gone');
      await probeEndpoint({
        instanceId: this.o.instanceId,
        rules: this.rules,
        bridge,
        gateway: addr.address,
        prefix: addr.prefix,
        target: this.target,
        expect: (nonce) => {
          this.probes.add(nonce);
          return () => this.probes.delete(nonce);
        },
      });
      this.failure = undefined;
      this.log.info({ bridge, listen: this.target }, `task endpoint ready: ${ENDPOINT_ADDRESS}:80 reaches this agent from its containers (verified)`);
    } catch (err) {
      this.failure = (err as Error).message;
      this.log.error({ err: this.failure }, 'task endpoint unavailable: tasks with a task role will not start on this host; containers get no metadata endpoint');
    }
  }

  /** Agent start: serve again the containers of this instance that still run (their rules point at the old port). */
  async adopt(containers: { runtimeId: string; labels: Record<string, string>; running: boolean }[], taskArnOf: (labels: Record<string, string>) => string | undefined): Promise<void> {
    for (const c of containers) {
      const id = c.labels[ENDPOINT_LABEL.metadataId];
      const mac = c.labels[ENDPOINT_LABEL.mac];
      const taskArn = taskArnOf(c.labels);
      const pause = c.labels['stevedore.pause'] === 'true';
      const name = pause ? PAUSE_ENTRY : c.labels['stevedore.container'];
      if (!taskArn || !name || !c.running || this.failure || (!id && !pause)) continue;
      try {
        if (mac) await this.rules!.add(mac, this.target);
        this.containers.set(pause ? `pause:${taskArn}` : id!, { taskArn, name, ...(mac ? { mac } : {}), runtimeId: c.runtimeId });
        const credentialsId = c.labels[ENDPOINT_LABEL.credentialsId];
        if (credentialsId) this.bindCredentials(taskArn, credentialsId);
      } catch (err) {
        this.log.warn({ task: taskArn, container: name, err: (err as Error).message }, 'cannot restore the endpoint rule of an adopted container');
      }
    }
  }

  private bindCredentials(taskArn: string, credentialsId: string): void {
    this.credentialIds.set(credentialsId, taskArn);
    this.taskCredentialIds.set(taskArn, credentialsId);
  }

  /**
   * Before a container is created: its MAC, its rule (installed and checked
   * in place), its environment, and for a task role the task's credentials
   * (fetched now, so a role the control plane refuses fails the container
   * with the reason instead of a container that cannot authenticate).
   */
  async prepare(spec: TaskAssignment, def: ContainerDefinition): Promise<EndpointGrant> {
    const mode = spec.networkMode ?? 'bridge';
    const bridged = mode === 'bridge' || mode === 'awsvpc';
    if (spec.taskRoleArn !== undefined) {
      if (!bridged) throw new TaskEndpointUnavailable(`task roles need networkMode bridge or awsvpc on Stevedore hosts (this task uses ${mode})`);
      if (this.failure) throw new TaskEndpointUnavailable(`the task credentials endpoint is not available on this host: ${this.failure}`);
    }
    if (!bridged || this.failure || def.disableNetworking) return { environment: [], labels: {} };
    const metadataId = randomUUID();
    const mac = containerMac(randomBytes(5));
    const environment = [
      { name: 'ECS_CONTAINER_METADATA_URI', value: `http://${ENDPOINT_ADDRESS}/v3/${metadataId}` },
      { name: 'ECS_CONTAINER_METADATA_URI_V4', value: `http://${ENDPOINT_ADDRESS}/v4/${metadataId}` },
      { name: 'AWS_EXECUTION_ENV', value: spec.launchType === 'FARGATE' ? 'AWS_ECS_FARGATE' : 'AWS_ECS_EC2' },
    ];
    const labels: Record<string, string> = { [ENDPOINT_LABEL.metadataId]: metadataId, [ENDPOINT_LABEL.mac]: mac };
    if (spec.taskRoleArn !== undefined) {
      try {
        await this.credentials.get(spec.taskArn);
      } catch (err) {
        throw new TaskEndpointUnavailable(`unable to get credentials for the task role ${spec.taskRoleArn}: ${(err as { details?: string }).details ?? (err as Error).message}`);
      }
      let credentialsId = this.taskCredentialIds.get(spec.taskArn);
      if (!credentialsId) {
        credentialsId = randomUUID();
        this.bindCredentials(spec.taskArn, credentialsId);
      }
      environment.push({ name: 'AWS_CONTAINER_CREDENTIALS_RELATIVE_URI', value: `/v2/credentials/${credentialsId}` });
      labels[ENDPOINT_LABEL.credentialsId] = credentialsId;
    }
    if (mode === 'awsvpc') {
      // It joins the pause container's network: the pause's MAC carries the rule (preparePause).
      this.containers.set(metadataId, { taskArn: spec.taskArn, name: def.name });
      return { environment, labels: { [ENDPOINT_LABEL.metadataId]: metadataId, ...(labels[ENDPOINT_LABEL.credentialsId] ? { [ENDPOINT_LABEL.credentialsId]: labels[ENDPOINT_LABEL.credentialsId]! } : {}) } };
    }
    // Installed and checked (iptables -C) before the container exists, so its first packet is redirected.
    await this.rules!.add(mac, this.target);
    this.containers.set(metadataId, { taskArn: spec.taskArn, name: def.name, mac });
    return { environment, labels, macAddress: mac };
  }

  /** awsvpc: the pause container's MAC and rule, before it is created (its network is the task's). */
  async preparePause(spec: TaskAssignment): Promise<EndpointGrant> {
    if (this.failure) return { environment: [], labels: {} };
    const mac = containerMac(randomBytes(5));
    await this.rules!.add(mac, this.target);
    this.containers.set(`pause:${spec.taskArn}`, { taskArn: spec.taskArn, name: PAUSE_ENTRY, mac });
    return { environment: [], labels: { [ENDPOINT_LABEL.mac]: mac }, macAddress: mac };
  }

  /** The task stopped: its rules go, its credentials are dropped and no longer served. */
  async release(taskArn: string): Promise<void> {
    this.credentials.release(taskArn);
    const credentialsId = this.taskCredentialIds.get(taskArn);
    if (credentialsId) this.credentialIds.delete(credentialsId);
    this.taskCredentialIds.delete(taskArn);
    for (const [id, c] of this.containers) {
      if (c.taskArn !== taskArn) continue;
      this.containers.delete(id);
      if (c.runtimeId) this.addresses.delete(c.runtimeId);
      if (c.mac) await this.rules?.remove(c.mac, this.target).catch((err: unknown) => this.log.warn({ task: taskArn, err: (err as Error).message }, 'cannot remove an endpoint rule'));
    }
  }

  /** Agent shutdown: rules stay for the containers that keep running; with none left, the chains go too. */
  async stop(removeChains: boolean): Promise<void> {
    this.credentials.close();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
    this.server?.closeAllConnections();
    if (removeChains) await this.rules?.destroy();
  }

  // --- serving -----------------------------------------------------------

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const send = (status: number, body: unknown) => {
      const text = typeof body === 'string' ? body : JSON.stringify(body);
      res.writeHead(status, { 'content-type': typeof body === 'string' ? 'text/plain' : 'application/json' }).end(text);
    };
    try {
      const url = new URL(req.url ?? '/', 'http://x');
      const parts = url.pathname.split('/').filter(Boolean);
      const remote = (req.socket.remoteAddress ?? '').replace(/^::ffff:/, '');
      if (req.method !== 'GET') return send(405, { code: 'MethodNotAllowed', message: 'Only GET is served' });
      if (parts[0] === 'probe' && parts.length === 2) return this.probes.has(parts[1]!) ? send(200, parts[1]!) : send(404, 'unknown probe');
      if (parts[0] === 'v2' && parts[1] === 'credentials') return await this.serveCredentials(parts[2], remote, send);
      if ((parts[0] === 'v4' || parts[0] === 'v3') && parts[1]) return await this.serveMetadata(parts[1], parts.slice(2).join('/'), remote, send);
      send(404, { code: 'NotFound', message: `No such path: ${url.pathname.slice(0, 100)}` });
    } catch (err) {
      this.log.warn({ err: (err as Error).message }, 'task endpoint request failed');
      if (!res.headersSent) send(500, { code: 'InternalError', message: 'the agent could not answer' });
    }
  }

  /** Is `remote` the address of a running container of `taskArn`? (The binding that keeps ids useless elsewhere.) */
  private async fromTask(taskArn: string, remote: string): Promise<boolean> {
    for (const c of this.containers.values()) {
      if (c.taskArn !== taskArn) continue;
      const runtimeId = c.runtimeId ?? (c.name === PAUSE_ENTRY ? await this.pauseId(taskArn) : this.o.taskState(taskArn)?.containers.find((x) => x.name === c.name)?.runtimeId);
      if (!runtimeId) continue;
      c.runtimeId = runtimeId;
      let ip = this.addresses.get(runtimeId);
      if (!ip) {
        ip = (await this.inspect(runtimeId))?.ipv4;
        if (ip) this.addresses.set(runtimeId, ip);
      }
      if (ip === remote) return true;
    }
    return false;
  }

  private async pauseId(taskArn: string): Promise<string | undefined> {
    const list = (await this.o.docker.listContainers({ all: true, filters: { label: [`stevedore.task=${taskArn}`, 'stevedore.pause=true'] } }).catch(() => [])) as { Id: string }[];
    return list[0]?.Id;
  }

  private async serveCredentials(id: string | undefined, remote: string, send: (s: number, b: unknown) => void): Promise<void> {
    // ECS: a missing id is a 400, an unknown one a 404-style error.
    if (!id) return send(400, { code: 'InvalidIdInRequest', message: 'CredentialsV2Request: No Credential ID in the request' });
    const taskArn = this.credentialIds.get(id);
    if (!taskArn || !(await this.fromTask(taskArn, remote))) {
      this.log.warn({ remote }, 'credentials request refused: unknown id, or not from a container of its task');
      return send(404, { code: 'InvalidIdInRequest', message: 'CredentialsV2Request: Credentials not found' });
    }
    const c = await this.credentials.get(taskArn);
    this.log.info({ task: taskArn, remote, accessKeyId: c.accessKeyId }, 'task role credentials served');
    send(200, { RoleArn: c.roleArn, AccessKeyId: c.accessKeyId, SecretAccessKey: c.secretAccessKey, Token: c.sessionToken, Expiration: new Date(c.expiration).toISOString().replace(/\.\d{3}Z$/, 'Z') });
  }

  private async serveMetadata(id: string, rest: string, remote: string, send: (s: number, b: unknown) => void): Promise<void> {
    const entry = this.containers.get(id);
    if (!entry || !(await this.fromTask(entry.taskArn, remote))) return send(404, { code: 'NotFound', message: 'Unable to find container for the metadata id' });
    const task = this.o.taskState(entry.taskArn);
    if (!task) return send(404, { code: 'NotFound', message: 'the task is no longer known to this agent' });
    const self = task.containers.find((c) => c.name === entry.name);
    const describe = async (c: TaskState['containers'][number]) => containerMetadata(task, c, c.runtimeId ? ((await this.inspect(c.runtimeId)) ?? {}) : {});
    switch (rest) {
      case '':
        return self ? send(200, await describe(self)) : send(404, { code: 'NotFound', message: 'container not found' });
      case 'task':
      case 'taskWithTags': {
        const [containers, clockDrift] = await Promise.all([Promise.all(task.containers.map(describe)), this.clock.read()]);
        const meta = taskMetadata(task, containers, { availabilityZone: this.o.availabilityZone, ...(clockDrift ? { clockDrift } : {}) });
        return send(200, rest === 'task' ? meta : taskWithTags(meta, task.spec?.tags ?? [], this.o.containerInstanceTags ?? {}));
      }
      case 'stats':
        return self?.runtimeId ? send(200, (await this.stats(entry.taskArn, [self.runtimeId]))[self.runtimeId]) : send(404, { code: 'NotFound', message: 'container has not started' });
      case 'task/stats':
        return send(200, await this.stats(entry.taskArn, task.containers.flatMap((c) => (c.runtimeId ? [c.runtimeId] : []))));
      default:
        return send(404, { code: 'NotFound', message: `No such metadata path: ${rest.slice(0, 100)}` });
    }
  }

  private async inspect(runtimeId: string, depth = 0): Promise<DockerFacts | undefined> {
    try {
      const i = (await (this.o.docker.getContainer(runtimeId).inspect as (o: object) => Promise<Docker.ContainerInspectInfo>).call(this.o.docker.getContainer(runtimeId), {
        abortSignal: AbortSignal.timeout(DOCKER_TIMEOUTS.inspect),
      })) as Docker.ContainerInspectInfo;
      // The default bridge, or the one network a task container is on.
      const bridge = i.NetworkSettings?.Networks?.['bridge'] ?? Object.values(i.NetworkSettings?.Networks ?? {})[0];
      let ipv4 = bridge?.IPAddress || undefined;
      let mac = bridge?.MacAddress || undefined;
      const joined = /^container:(.+)$/.exec(i.HostConfig?.NetworkMode ?? '');
      if (!ipv4 && joined && depth === 0) {
        // awsvpc: the container lives in its pause container's network.
        const pause = await this.inspect(joined[1]!, 1);
        ipv4 = pause?.ipv4;
        mac = pause?.mac;
      }
      return { imageId: i.Image, createdAt: i.Created, labels: i.Config?.Labels ?? {}, ...(ipv4 ? { ipv4 } : {}), ...(mac ? { mac } : {}) };
    } catch {
      return undefined;
    }
  }

  /**
   * Docker stats of the task's containers keyed by Docker id, with ECS's
   * network rates: two consecutive frames of each container's stats stream
   * (about a second, what a one-shot read waits for anyway). An awsvpc
   * container has no interfaces of its own: its networks are the pause
   * container's, read alongside.
   */
  private async stats(taskArn: string, runtimeIds: string[]): Promise<Record<string, StatsFrame>> {
    const pause = this.o.taskState(taskArn)?.spec?.networkMode === 'awsvpc' ? await this.pauseId(taskArn) : undefined;
    const ids = pause ? [...runtimeIds, pause] : runtimeIds;
    const frames = new Map(await Promise.all(ids.map(async (id) => [id, await this.twoFrames(id)] as const)));
    const out: Record<string, StatsFrame> = {};
    for (const id of runtimeIds) {
      let [prev, cur] = frames.get(id)!;
      const shared = pause ? frames.get(pause) : undefined;
      if (shared && !cur.networks) [prev, cur] = [{ ...prev, networks: shared[0].networks }, { ...cur, networks: shared[1].networks }];
      out[id] = statsWithRates(prev, cur);
    }
    return out;
  }

  private async twoFrames(runtimeId: string): Promise<[StatsFrame, StatsFrame]> {
    const c = this.o.docker.getContainer(runtimeId);
    type Stream = NodeJS.ReadableStream & { destroy(): void };
    const stream = await (c.stats as unknown as (o: object) => Promise<Stream>).call(c, { stream: true, abortSignal: AbortSignal.timeout(REQUEST_DEADLINE_MS - 1000) });
    const frames: StatsFrame[] = [];
    let buffered = '';
    try {
      for await (const chunk of stream) {
        buffered += String(chunk);
        let nl: number;
        while ((nl = buffered.indexOf('\n')) >= 0) {
          const line = buffered.slice(0, nl).trim();
          buffered = buffered.slice(nl + 1);
          if (line) frames.push(JSON.parse(line) as StatsFrame);
          if (frames.length === 2) return [frames[0]!, frames[1]!];
        }
      }
    } finally {
      stream.destroy();
    }
    // The container stopped between the frames: one frame, no rate.
    if (frames[0]) return [frames[0], frames[0]];
    throw new Error(`no stats from Docker for ${runtimeId.slice(0, 12)}`);
  }
}
