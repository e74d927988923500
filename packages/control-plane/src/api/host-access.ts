import { ClientException, hostAccessOf, hostAccessViolations, type Cluster, type HostAccessSubject } from '@stevedore/core';

/**
 * Refuses a task definition that takes more of the host than the cluster's
 * settings allow (privileged, host network/PID, added capabilities, devices,
 * host paths; the container runtime socket never), naming each field.
 */
export function refuseHostAccess(cluster: Cluster, td: HostAccessSubject): void {
  const violations = hostAccessViolations(td, hostAccessOf(cluster.settings));
  if (violations.length === 0) return;
  throw new ClientException(`Cluster ${cluster.name} does not allow this task definition: ${violations.map((v) => v.message).join('; ')}`, violations[0]!.field);
}
