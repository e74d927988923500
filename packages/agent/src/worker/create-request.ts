import { hostAccessViolations, NO_HOST_ACCESS, type ContainerDefinition, type HostAccessSubject, type TaskAssignment } from '@stevedore/core/host';
import { containerLabels, ENDPOINT_LABEL, LABEL, taskLabels } from '../docker/labels';
import type { CreateContainerRequest, VolumeRequest } from '../exec/container-controller';
import { mountsFor } from './task-volumes';
import { AWSLOGS_LABEL, awslogsLabel } from '../awslogs/awslogs-shipper';
import { EPHEMERAL_STORAGE_LABEL, ephemeralStorageFor, type StorageQuotaSupport } from '../host/storage-quota';

export class ResourceInitializationError extends Error {
  override readonly name = 'ResourceInitializationError';
  constructor(message: string) {
    // The ECS error name leads the text: it becomes the container reason verbatim.
    super(`ResourceInitializationError: ${message}`);
  }
}

/** The control plane should never have sent this: refused here too (defense in depth), as Docker would create it. */
export class HostAccessError extends Error {
  override readonly name = 'HostAccessError';
  constructor(message: string) {
    super(`CannotCreateContainerError: ${message}`);
  }
}

/**
 * Why the agent will not run this task, if it takes more of the host than
 * the policy the assignment carries allows (none at all when it carries
 * none). The whole task is checked, with core's own decision, so that no
 * container of a refused task is created: a control-plane bug, or a forged
 * assignment, must not be root on this host.
 */
export function hostAccessRefusal(spec: TaskAssignment): string | undefined {
  const subject = { networkMode: spec.networkMode, pidMode: spec.pidMode, ipcMode: spec.ipcMode, volumes: spec.volumes, containerDefinitions: spec.containers };
  // A FARGATE task never gets the host, whatever policy the assignment carries.
  const policy = spec.launchType === 'FARGATE' ? NO_HOST_ACCESS : (spec.hostAccess ?? NO_HOST_ACCESS);
  const violations = hostAccessViolations(subject as HostAccessSubject, policy);
  return violations.length ? violations.map((v) => v.message).join('; ') : undefined;
}

/**
 * The endpoint's labels go after the user's, like every system label, and a
 * user's label of the same name is dropped even when the endpoint sets none
 * (host mode): a restarted agent trusts these labels to bind ids to tasks.
 */
function endpointLabels(labels: Record<string, string>, endpoint: Record<string, string>): Record<string, string> {
  const out = { ...labels };
  for (const k of Object.values(ENDPOINT_LABEL)) delete out[k];
  return { ...out, ...endpoint };
}

export interface CreateContext {
  instanceId: string;
  hostIp: string;
  agentVersion: string;
  defaultStopTimeoutSeconds: number;
  /** Docker names of the task's containers created so far, by container name. */
  peers: ReadonlyMap<string, string>;
  /** 20 hex characters, the ECS name suffix. */
  suffix: string;
  /** This container's resolved `secrets`. */
  secretEnvironment?: { name: string; value: string }[];
  /** This container's `environmentFiles` variables (undefined: not delivered). */
  fileEnvironment?: { name: string; value: string }[];
  /** The task's shared resources, once set up (see TaskRunner.taskResources). */
  shared?: SharedTaskResources;
  /** What the task endpoint gives this container (environment, labels, MAC). */
  grant?: { environment: { name: string; value: string }[]; labels: Record<string, string>; macAddress?: string };
  /** Whether this host's storage driver enforces a writable-layer size (decided once at agent start). */
  storageQuota?: StorageQuotaSupport;
}

/** What a task's containers share: its pause container's namespaces and its cgroup. */
export interface SharedTaskResources {
  pauseId?: string;
  cgroupParent?: string;
}

/** Label marking a task's pause container (it has no `stevedore.container`: it is no container of the definition). */
export const PAUSE_LABEL = 'stevedore.pause';
/** The ECS agent's name for it. */
export const PAUSE_CONTAINER_NAME = '~internal~ecs~pause';

export interface PauseSettings {
  image: string;
  /** Empty: the image's own command. */
  command: string[];
}

/** A pause container holds namespaces the task's containers share: awsvpc's network, pidMode/ipcMode task. */
export function needsPause(spec: Pick<TaskAssignment, 'networkMode' | 'pidMode' | 'ipcMode'>): boolean {
  return spec.networkMode === 'awsvpc' || spec.pidMode === 'task' || spec.ipcMode === 'task';
}

/**
 * The task's pause container, as the ECS agent runs one for awsvpc: it owns
 * the network namespace (bridge-attached here, instead of an ENI) and
 * publishes every port of the task's containers on the host IP with a
 * dynamic host port, since all containers of a task share its ports.
 */
export function buildPauseRequest(spec: TaskAssignment, pause: PauseSettings, ctx: Pick<CreateContext, 'instanceId' | 'hostIp' | 'agentVersion' | 'suffix'>, cgroupParent?: string): CreateContainerRequest {
  const seen = new Set<string>();
  const portMappings = spec.networkMode !== 'awsvpc' ? [] : spec.containers.flatMap((c) => c.portMappings ?? []).flatMap((pm) => {
    if (pm.containerPort === undefined) return [];
    const key = `${pm.containerPort}/${pm.protocol ?? 'tcp'}`;
    if (seen.has(key)) return [];
    seen.add(key);
    // hostPort left out: Docker picks one, bound on this agent's host IP only.
    return [{ containerPort: pm.containerPort, protocol: pm.protocol ?? 'tcp' }];
  });
  const definition: ContainerDefinition = { name: PAUSE_CONTAINER_NAME, image: pause.image, essential: true, portMappings, ...(pause.command.length > 0 ? { command: pause.command } : {}) };
  return {
    dockerName: `ecs-${spec.family}-${spec.revision}-internalecspause-${ctx.suffix}`.replace(/[^a-zA-Z0-9_.-]/g, '-'),
    image: pause.image,
    labels: { ...taskLabels(spec, ctx.instanceId), [LABEL.version]: ctx.agentVersion, [PAUSE_LABEL]: 'true' },
    definition,
    networkMode: spec.networkMode === 'awsvpc' ? 'bridge' : 'none',
    hostIp: ctx.hostIp,
    peers: new Map(),
    mounts: [],
    stopTimeoutSeconds: 1,
    ...(cgroupParent !== undefined ? { cgroupParent } : {}),
    ...(spec.ipcMode === 'task' ? { shareableIpc: true } : {}),
  };
}

/**
 * Everything needed to create one container of a task, decided without
 * touching Docker. Throws for what this agent cannot honour, so the
 * container fails with a clear reason instead of starting without it.
 */
export function buildCreateRequest(spec: TaskAssignment, def: ContainerDefinition, ctx: CreateContext): { request: CreateContainerRequest; volumes: VolumeRequest[] } {
  const refusal = hostAccessRefusal(spec);
  if (refusal !== undefined) throw new HostAccessError(refusal);
  const missing = (def.secrets ?? []).filter((s) => !ctx.secretEnvironment?.some((e) => e.name === s.name));
  if (missing.length) throw new ResourceInitializationError(`unable to pull secrets or registry auth: no value for ${missing.map((s) => s.name).join(', ')}`);
  if (def.environmentFiles?.length && ctx.fileEnvironment === undefined) throw new ResourceInitializationError('unable to read environmentFiles: the control plane sent no values for them');
  const { mounts, volumes } = mountsFor(spec, def, ctx.instanceId);
  const storage = ephemeralStorageFor(spec, ctx.storageQuota);
  const request: CreateContainerRequest = {
    dockerName: `ecs-${spec.family}-${spec.revision}-${def.name}-${ctx.suffix}`.replace(/[^a-zA-Z0-9_.-]/g, '-'),
    image: def.image,
    labels: endpointLabels(withAwslogsLabel(containerLabels(spec, def, ctx.instanceId, ctx.agentVersion), def), { ...(storage ? { [EPHEMERAL_STORAGE_LABEL]: storage.label } : {}), ...(ctx.grant?.labels ?? {}) }),
    definition: def,
    networkMode: spec.networkMode ?? 'bridge',
    ...(spec.pidMode ? { pidMode: spec.pidMode } : {}),
    ...(spec.ipcMode ? { ipcMode: spec.ipcMode } : {}),
    hostIp: ctx.hostIp,
    peers: ctx.peers,
    mounts,
    stopTimeoutSeconds: def.stopTimeout ?? ctx.defaultStopTimeoutSeconds,
    ...(ctx.secretEnvironment?.length ? { secretEnvironment: ctx.secretEnvironment } : {}),
    ...(ctx.fileEnvironment?.length ? { fileEnvironment: ctx.fileEnvironment } : {}),
    ...(ctx.shared?.cgroupParent !== undefined ? { cgroupParent: ctx.shared.cgroupParent } : {}),
    ...(storage?.sizeGiB !== undefined ? { storageSizeGiB: storage.sizeGiB } : {}),
    ...(ctx.grant?.environment.length ? { agentEnvironment: ctx.grant.environment } : {}),
    ...(ctx.grant?.macAddress ? { macAddress: ctx.grant.macAddress } : {}),
  };
  const pauseId = ctx.shared?.pauseId;
  if (pauseId !== undefined) {
    const namespaces: NonNullable<CreateContainerRequest['namespaces']> = {};
    if (spec.networkMode === 'awsvpc') namespaces.network = pauseId;
    if (spec.pidMode === 'task') namespaces.pid = pauseId;
    if (spec.ipcMode === 'task') namespaces.ipc = pauseId;
    request.namespaces = namespaces;
  } else if (needsPause(spec)) {
    throw new ResourceInitializationError("the task's pause container is not running");
  }
  return { request, volumes: volumes.flatMap((v) => (v.create ? [v.create] : [])) };
}

/** awslogs settings ride on the container (the agent's memory after a restart); a user label of that name never survives. */
function withAwslogsLabel(labels: Record<string, string>, def: ContainerDefinition): Record<string, string> {
  const out = { ...labels };
  delete out[AWSLOGS_LABEL];
  const v = awslogsLabel(def);
  if (v !== undefined) out[AWSLOGS_LABEL] = v;
  return out;
}
