import { ClientException, hostAccessOf, hostAccessViolations, type Cluster, type HostAccessSubject } from '@stevedore/core';

/**
 * Refuses a task definition that takes more of the host than the cluster's
 * settings allow (core's hostAccessViolations: privileged, host namespaces,
 * capabilities, devices, host paths and host Docker volumes, security
 * options, host sysctls; the runtime socket never). Called by RunTask and
 * StartTask (on the definition with overrides applied), CreateService and
 * UpdateService; the message names each field and the setting that allows it.
 */
export function refuseHostAccess(cluster: Cluster, td: HostAccessSubject): void {
  const violations = hostAccessViolations(td, hostAccessOf(cluster.settings));
  if (violations.length === 0) return;
  throw new ClientException(`Cluster ${cluster.name} does not allow this task definition: ${violations.map((v) => v.message).join('; ')}`, violations[0]!.field);
}
