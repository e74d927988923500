import { hostAccessViolations, NO_HOST_ACCESS, type ContainerDefinition, type HostAccessSubject, type TaskAssignment } from '@stevedore/core';
import { containerLabels } from '../docker/labels';
import type { CreateContainerRequest, VolumeRequest } from '../exec/container-controller';
import { mountsFor } from './task-volumes';

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
  const violations = hostAccessViolations(subject as HostAccessSubject, spec.hostAccess ?? NO_HOST_ACCESS);
  return violations.length ? violations.map((v) => v.message).join('; ') : undefined;
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
  if (def.environmentFiles?.length) throw new ResourceInitializationError('environmentFiles are not supported by this agent yet');
  const { mounts, volumes } = mountsFor(spec, def, ctx.instanceId);
  const request: CreateContainerRequest = {
    dockerName: `ecs-${spec.family}-${spec.revision}-${def.name}-${ctx.suffix}`.replace(/[^a-zA-Z0-9_.-]/g, '-'),
    image: def.image,
    labels: containerLabels(spec, def, ctx.instanceId, ctx.agentVersion),
    definition: def,
    networkMode: spec.networkMode ?? 'bridge',
    ...(spec.pidMode ? { pidMode: spec.pidMode } : {}),
    ...(spec.ipcMode ? { ipcMode: spec.ipcMode } : {}),
    hostIp: ctx.hostIp,
    peers: ctx.peers,
    mounts,
    stopTimeoutSeconds: def.stopTimeout ?? ctx.defaultStopTimeoutSeconds,
    ...(ctx.secretEnvironment?.length ? { secretEnvironment: ctx.secretEnvironment } : {}),
  };
  return { request, volumes: volumes.flatMap((v) => (v.create ? [v.create] : [])) };
}
