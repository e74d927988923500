import { HealthServer, type AgentHealth } from './health/health-server';
import { readFileSync } from 'node:fs';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import type Docker from 'dockerode';
import type { Logger } from 'pino';
import { buildInfo, systemClock } from '@stevedore/core/host';
import { grpc, toWireLoadBalancerStatus, toWireTargetHealth } from '@stevedore/proto';
import type { AgentConfig } from './config';
import { dockerFromHost } from './docker/docker-client';
import { DOCKER_TIMEOUTS } from './docker/timeouts';
import { DockerController } from './docker/docker-controller';
import { registerRequest, type DockerFacts } from './host-resources';
import { loadIdentity, saveIdentity, type InstanceIdentity } from './identity';
import { Reporter } from './reporter';
import { Backoff, SESSION_BACKOFF, Sleeper } from './session/backoff';
import { channelCredentials, establishCredentials } from './session/channel-credentials';
import { CertificateRotator } from './session/certificate-rotator';
import { DispatcherClient, grpcCode, grpcDetails } from './session/dispatcher-client';
import { LogPusher } from './session/log-pusher';
import { ExecSessions } from './ecs-exec/exec-sessions';
import { DockerExecLauncher } from './docker/docker-exec';
import { Session } from './session/session';
import { ImagePuller } from './worker/image-puller';
import { FileTaskJournal } from './worker/task-journal';
import { TaskCgroups } from './host/task-cgroups';
import { mountOptionsOf, storageQuotaSupport, type StorageQuotaSupport } from './host/storage-quota';
import { Worker } from './worker/worker';
import { publishedPorts, TargetCheckServer } from './loadbalancer/target-check-server';
import { LoadBalancerHost } from './loadbalancer/lb-host';
import { AwslogsShipper } from './awslogs/awslogs-shipper';
import { FileOffsetStore } from './awslogs/offset-store';
import { TaskEndpoint } from './task-endpoint/task-endpoint';
import { LABEL } from './docker/labels';
import { UsageCollector } from './metrics/usage-collector';
import { UsageReporter } from './metrics/usage-reporter';

/** The version the agent registers with and labels its containers with. */
export function agentVersion(): string {
  return buildInfo().version;
}

async function dockerFacts(docker: Docker): Promise<DockerFacts> {
  // dockerode's typings omit the options argument these calls accept.
  const call = (fn: unknown) => (fn as (o: object) => Promise<unknown>).call(docker, { abortSignal: AbortSignal.timeout(DOCKER_TIMEOUTS.info) });
  const info = (await call(docker.info)) as {
    NCPU: number;
    MemTotal: number;
    Architecture: string;
    ServerVersion: string;
    Plugins?: { Log?: string[] };
    Driver?: string;
    DriverStatus?: [string, string][];
    DockerRootDir?: string;
    CgroupDriver?: string;
  };
  const version = (await call(docker.version)) as { ApiVersion: string; Version: string };
  const backingFilesystem = info.DriverStatus?.find(([k]) => k === 'Backing Filesystem')?.[1];
  return {
    ncpu: info.NCPU,
    memTotalBytes: info.MemTotal,
    architecture: info.Architecture,
    serverVersion: version.Version ?? info.ServerVersion,
    apiVersion: version.ApiVersion,
    logDrivers: info.Plugins?.Log ?? ['json-file', 'none'],
    ...(info.Driver ? { storageDriver: info.Driver } : {}),
    ...(backingFilesystem ? { backingFilesystem } : {}),
    ...(info.DockerRootDir ? { dockerRootDir: info.DockerRootDir } : {}),
    ...(info.CgroupDriver ? { cgroupDriver: info.CgroupDriver } : {}),
  };
}

/** Whether Docker can bound a writable layer here; mount options are read only for a local dockerd (same mount namespace). */
function hostStorageQuota(facts: DockerFacts, dockerHost: string): StorageQuotaSupport {
  const local = !/^(tcp|https?|ssh):\/\//.test(dockerHost);
  let mountOptions: string[] | undefined;
  if (local && facts.dockerRootDir) {
    try {
      mountOptions = mountOptionsOf(readFileSync('/proc/self/mountinfo', 'utf8'), facts.dockerRootDir);
    } catch {
      // Not Linux, or no /proc: unknown, so not enforced.
    }
  }
  return storageQuotaSupport({ driver: facts.storageDriver ?? 'unknown', ...(facts.backingFilesystem ? { backingFilesystem: facts.backingFilesystem } : {}), ...(mountOptions ? { mountOptions } : {}) });
}

/** A running agent; `stop()` leaves every task container exactly as it is. */
export interface RunningAgent {
  instanceId: string;
  stop(): Promise<void>;
}

/**
 * Wiring and start order: Docker first (nothing works without it), then the
 * channel credentials (joining with the token on first start: the
 * certificate is the instance's identity), the registration, adoption of
 * existing containers, then the session. Later registrations only refresh
 * resources.
 */
export async function startAgent(cfg: AgentConfig, log: Logger, onFatal: (reason: string) => void): Promise<RunningAgent> {
  // The data dir holds the agent's key and task specs (environment values included): its user's alone.
  await fs.mkdir(cfg.dataDir, { recursive: true, mode: 0o700 });
  await fs.chmod(cfg.dataDir, 0o700);
  const docker = dockerFromHost(cfg.dockerHost);
  const sleeper = new Sleeper();
  const version = agentVersion();

  let facts: DockerFacts | undefined;
  for (const b = new Backoff({ ...SESSION_BACKOFF, maxMs: 10_000 }); !facts; ) {
    try {
      facts = await dockerFacts(docker);
    } catch (err) {
      const ms = b.next();
      log.warn({ err: (err as Error).message, dockerHost: cfg.dockerHost, retryInMs: ms }, 'Docker is not reachable yet');
      await sleeper.sleep(ms);
    }
  }
  log.info({ docker: facts.serverVersion, cpus: facts.ncpu, memMiB: Math.floor(facts.memTotalBytes / 1048576) }, 'docker ready');
  const storageQuota = hostStorageQuota(facts, cfg.dockerHost);
  // Said once here; each FARGATE container's stevedore.ephemeral-storage label says it again.
  if (storageQuota.enforced) log.info({ storageDriver: facts.storageDriver }, 'FARGATE ephemeralStorage is enforced on this host (Docker StorageOpt size)');
  else log.warn({ reason: storageQuota.reason }, 'FARGATE ephemeralStorage is not enforced on this host');

  const credentials = await establishCredentials(cfg, log, (ms) => sleeper.sleep(ms));
  const instanceId = credentials.identity.instanceId;
  let identity: InstanceIdentity | undefined = await loadIdentity(cfg.dataDir);
  if (identity && identity.instanceId !== instanceId) {
    // Joined again (new token): containers labelled with the old id belong to an instance that is gone.
    log.warn({ was: identity.instanceId, now: instanceId }, 'this host joined as a new container instance; containers of the old one are not adopted');
    identity = undefined;
  }
  const client = new DispatcherClient(cfg.controlPlanes, channelCredentials({ kind: 'mtls', ...credentials }));

  // Before registering: the instance advertises the port only when the server listens.
  const targetChecks = new TargetCheckServer({ hostIp: cfg.hostIp, port: cfg.targetCheckPort, ports: () => publishedPorts(docker, { [LABEL.instance]: instanceId }), log: log.child({ component: 'target-checks' }) });
  const targetCheckPort = await targetChecks.start();
  const register = async () => {
    const res = await client.register(registerRequest(cfg, facts!, instanceId, buildInfo(), targetCheckPort));
    if (res.instance_id !== instanceId) {
      // Containers are labelled with the old id; restarting lets a fresh process own the new identity.
      await saveIdentity(cfg.dataDir, { instanceId: res.instance_id, containerInstanceArn: res.container_instance_arn, cluster: cfg.cluster, registeredAt: Date.now() });
      onFatal(`the control plane replaced instance id ${instanceId} with ${res.instance_id}`);
      return;
    }
    identity = { instanceId: res.instance_id, containerInstanceArn: res.container_instance_arn, cluster: cfg.cluster, registeredAt: identity?.registeredAt ?? Date.now() };
    await saveIdentity(cfg.dataDir, identity);
    // The control plane's version is only logged: compatibility comes from the channel's rules, never a version check (docs/design/dispatcher-protocol.md, "Versions").
    log.info({ instance: identity.instanceId, arn: identity.containerInstanceArn, agentVersion: version, controlPlaneVersion: res.control_plane_version || 'unknown' }, 'registered');
  };

  let registered = false;
  if (!identity) {
    for (const b = new Backoff(SESSION_BACKOFF); !identity; ) {
      try {
        await register();
        registered = true;
      } catch (err) {
        const ms = grpcCode(err) === grpc.status.NOT_FOUND ? Math.max(b.next(), 5000) : b.next();
        const from = client.target;
        log.warn({ err: grpcDetails(err), controlPlane: from, retryInMs: ms, next: client.failover() ?? from }, 'first registration failed');
        await sleeper.sleep(ms);
      }
    }
  }
  const ilog = log.child({ instance: instanceId });

  const controller = new DockerController(docker, ilog);
  // The worker is bound late (the endpoint reads task state, the worker needs the endpoint).
  let workerRef: Worker | undefined;
  const endpoint = new TaskEndpoint({
    instanceId,
    docker,
    availabilityZone: cfg.availabilityZone,
    containerInstanceTags: cfg.containerInstanceTags,
    log: ilog,
    taskState: (arn) => workerRef?.taskState(arn),
    fetchCredentials: async (taskArn) => {
      const r = await client.getTaskCredentials(instanceId, taskArn, 'TaskApplication');
      return { roleArn: r.role_arn, accessKeyId: r.access_key_id, secretAccessKey: r.secret_access_key, sessionToken: r.session_token, expiration: Number(r.expiration_ms) };
    },
  });
  // Verified (a probe through the rule) before any container is given the endpoint.
  await endpoint.start();
  // The reporter needs the worker (acks) and the worker the reporter (reports): bind late.
  let worker: Worker | undefined;
  // Set while a session is up: awslogs batches go over it, and wait (their offsets unmoved) while it is down.
  let logSession: string | undefined;
  const awslogs = new AwslogsShipper({
    controller,
    offsets: await FileOffsetStore.open(cfg.dataDir),
    instanceId,
    log: ilog.child({ component: 'awslogs' }),
    now: () => Date.now(),
    send: (batches) => {
      if (!logSession) return Promise.reject(new Error('not connected to the control plane'));
      return client.putLogEvents(instanceId, logSession, batches);
    },
  });
  const reporter = new Reporter({ instanceId: () => instanceId, log: ilog, onApplied: (r) => worker?.acknowledged(r) });
  worker = new Worker({
    controller,
    images: new ImagePuller(controller, cfg.imagePullBehavior, cfg.dataDir, ilog.child({ component: 'images' })),
    journal: new FileTaskJournal(cfg.dataDir),
    clock: systemClock,
    log: ilog,
    instanceId,
    hostIp: cfg.hostIp,
    agentVersion: version,
    defaultStopTimeoutSeconds: cfg.stopTimeoutSeconds,
    cleanupWaitMs: cfg.cleanupWaitMs,
    pause: { image: cfg.pauseImage, command: cfg.pauseCommand },
    cgroups: new TaskCgroups('/sys/fs/cgroup', facts.cgroupDriver === 'systemd' ? 'systemd' : 'cgroupfs'),
    storageQuota,
    restartPeriodScale: cfg.restartAttemptPeriodScale,
    reports: reporter,
    awslogs,
    endpoint,
  });
  workerRef = worker;
  await worker.start();
  awslogs.start();
  await endpoint.adopt(await controller.listContainers({ [LABEL.instance]: instanceId }), (labels) => labels[LABEL.task]);

  const usage = new UsageCollector({ containers: controller, stats: controller, instanceId, log: ilog, now: () => Date.now() });
  usage.start();
  const usageReporter = new UsageReporter({ take: () => usage.take(), instanceId: () => instanceId, intervalMs: cfg.metricsIntervalMs, log: ilog });
  usageReporter.start();

  const logs = new LogPusher(client, worker, controller, () => instanceId, ilog.child({ component: 'logs' }));
  const w = worker;
  const execSessions = new ExecSessions(
    client,
    {
      specOf: (arn) => w.taskState(arn)?.spec,
      runtimeIdOf: (arn, name) => w.runtimeIdOf(arn, name),
      isRunning: (arn, name) => w.taskState(arn)?.containers.find((c) => c.name === name)?.known === 'RUNNING',
    },
    new DockerExecLauncher(docker),
    () => instanceId,
    ilog.child({ component: 'exec' }),
  );
  // Hosts a load balancer's placement picks run HAProxy; elsewhere the host set stays empty and this idle.
  let lbSession: string | undefined;
  const loadBalancers = new LoadBalancerHost({
    dir: path.join(cfg.dataDir, 'loadbalancer'),
    hostIp: cfg.hostIp,
    instanceId: () => instanceId,
    log: ilog,
    // The request counters are metrics: they reach the control plane at the metrics interval.
    reportEveryMs: cfg.metricsIntervalMs,
    send: async (r) => {
      if (!lbSession) throw new Error('no session');
      await client.updateTargetHealth(instanceId, lbSession, { targets: r.targets.map(toWireTargetHealth), load_balancers: r.loadBalancers.map(toWireLoadBalancerStatus) });
    },
  });
  const health: AgentHealth = { controlPlane: undefined, instanceId, connectedSince: undefined };
  const healthServer = new HealthServer(cfg.healthListen, () => health, ilog.child({ component: 'health' }));
  await healthServer.start();
  let firstRegistration = registered;
  const session = new Session({
    client,
    instanceId: () => instanceId,
    register: async () => {
      // Just registered for the first time: no need to say it twice.
      if (firstRegistration) {
        firstRegistration = false;
        return;
      }
      await register();
    },
    worker,
    reporter: {
      connected: (sessionId, channel) => {
        health.controlPlane = client.target;
        health.connectedSince = Date.now();
        reporter.connected(sessionId, channel);
        usageReporter.connected(sessionId, client);
        lbSession = sessionId;
        logSession = sessionId;
        loadBalancers.sessionUp();
      },
      disconnected: () => {
        health.controlPlane = undefined;
        health.connectedSince = undefined;
        reporter.disconnected();
        usageReporter.disconnected();
        lbSession = undefined;
        logSession = undefined;
        loadBalancers.sessionDown();
      },
    },
    onLogRequest: (req, sessionId) => logs.handle(req, sessionId),
    onExecRequest: (req, sessionId) => execSessions.handle(req, sessionId),
    onLoadBalancers: (set) => loadBalancers.setDesired(set),
    log: ilog,
  });
  session.start();
  const rotator = new CertificateRotator({
    dataDir: cfg.dataDir,
    client,
    current: credentials,
    log: ilog.child({ component: 'pki' }),
    onRenewed: (c) => {
      client.useCredentials(channelCredentials({ kind: 'mtls', ...c }));
      session.reconnect('certificate renewed');
    },
  });
  rotator.start();

  return {
    instanceId,
    async stop() {
      sleeper.interrupt();
      rotator.stop();
      await reporter.drain(2000);
      await session.stop();
      usageReporter.stop();
      usage.stop();
      logs.closeAll();
      execSessions.closeAll();
      awslogs.stop();
      // HAProxy keeps serving, as task containers keep running; the next agent adopts it.
      loadBalancers.stop();
      targetChecks.stop();
      healthServer.stop();
      worker!.stop();
      // Rules stay while our containers run (the next agent re-points them); with none left, the chains go.
      const left = await controller.listContainers({ [LABEL.instance]: instanceId }).catch(() => [{}]);
      await endpoint.stop(left.length === 0).catch((err: unknown) => ilog.warn({ err: (err as Error).message }, 'task endpoint shutdown failed'));
      client.close();
    },
  };
}
