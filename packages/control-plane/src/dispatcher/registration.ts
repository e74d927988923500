import type { Logger } from 'pino';
import { arns, buildInfo, DEFAULT_RESERVED_PORTS, mergeAgentAttributes, type ArnContext, type ContainerInstance } from '@stevedore/core';
import type { RegisterRequest, RegisterResponse } from '@stevedore/proto';
import type { Store } from '../store/store';
import { grpcError, status } from './grpc-errors';
import { INACTIVE_DETAILS } from './channel-auth';
import { validateRegistration } from './registration-validation';
import type { UnaryContext } from './unary-handler';

/**
 * Register (proto contract): creates or refreshes the caller's container
 * instance. The identity is the certificate's, whatever the request says;
 * the request may only repeat it.
 */
export function registerInstance(store: Store, arn: ArnContext, log: Logger, ctx: UnaryContext, request: RegisterRequest): RegisterResponse {
  const { peer } = ctx;
  if (request.instance_id && request.instance_id !== peer.instanceId) {
    throw ctx.refuse(status.PERMISSION_DENIED, `the certificate is for instance ${peer.instanceId}, not ${request.instance_id}`, 'registration refused');
  }
  if (request.cluster !== peer.cluster) {
    throw ctx.refuse(status.PERMISSION_DENIED, `the certificate is for cluster ${peer.cluster}, not ${request.cluster}`, 'registration refused');
  }
  const checked = validateRegistration(request);
  if (!checked.ok) {
    throw ctx.refuse(status.INVALID_ARGUMENT, checked.problem.message, 'registration refused', { instance: peer.instanceId, field: checked.problem.field });
  }
  const v = checked.value;
  const instanceId = peer.instanceId;
  const clusterName = peer.cluster;
  const cluster = store.clusters.get(clusterName);
  if (!cluster || cluster.status !== 'ACTIVE') throw grpcError(status.NOT_FOUND, 'Cluster not found.');
  const now = store.clock.now();
  const instance = store.tx(() => {
    const existing = store.instances.get(instanceId);
    if (existing?.status === 'INACTIVE') {
      throw grpcError(status.FAILED_PRECONDITION, INACTIVE_DETAILS);
    }
    if (existing && existing.clusterName !== clusterName) {
      throw grpcError(status.INVALID_ARGUMENT, `instance ${existing.id} belongs to cluster ${existing.clusterName}, not ${clusterName}`);
    }
    const i: ContainerInstance = {
      id: instanceId,
      clusterName,
      ec2InstanceId: v.ec2InstanceId || 'unknown',
      hostIp: v.hostIp,
      status: existing?.status ?? 'ACTIVE',
      agentConnected: existing?.agentConnected ?? false,
      registeredResources: {
        cpu: v.resources.cpu,
        memory: v.resources.memory,
        ports: v.resources.ports.length ? v.resources.ports : DEFAULT_RESERVED_PORTS,
        portsUdp: v.resources.portsUdp,
      },
      // PutAttributes outranks the agent: see mergeAgentAttributes.
      attributes: mergeAgentAttributes(existing?.attributes ?? [], v.attributes),
      versionInfo: { agentVersion: v.agentVersion, ...(v.agentHash ? { agentHash: v.agentHash } : {}), dockerVersion: `DockerVersion: ${v.dockerVersion}` },
      registeredAt: existing?.registeredAt ?? now,
      version: (existing?.version ?? 0) + 1,
    };
    store.instances.put(i);
    // The agent's tags are the new instance's, as RegisterContainerInstance's; afterwards
    // TagResource owns them (an operator's change is never undone by a re-registration).
    if (!existing && v.tags.length) store.instances.setTags(instanceId, v.tags);
    return i;
  });
  // Versions are recorded, never checked: see "Versions" in docs/design/dispatcher-protocol.md.
  log.info(
    { cluster: clusterName, instance: instance.id, hostIp: v.hostIp, cpu: v.resources.cpu, memory: v.resources.memory, agentVersion: v.agentVersion || 'unknown', agentHash: v.agentHash || 'unknown' },
    'container instance registered',
  );
  return { instance_id: instance.id, container_instance_arn: arns.containerInstance(arn, instance.clusterName, instance.id), control_plane_version: buildInfo().version };
}
