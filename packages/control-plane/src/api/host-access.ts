import { ClientException, hostAccessOf, hostAccessViolations, NO_HOST_ACCESS, type Cluster, type HostAccessSubject, type LaunchType } from '@stevedore/core';

/**
 * Refuses a task definition that takes more of the host than the cluster's
 * settings allow (core's hostAccessViolations: privileged, host namespaces,
 * capabilities, devices, host paths and host Docker volumes, security
 * options, host sysctls; the runtime socket never). Called by RunTask and
 * StartTask (on the definition with overrides applied), CreateService and
 * UpdateService; the message names each field and the setting that allows it.
 */
export function refuseHostAccess(cluster: Cluster, td: HostAccessSubject, launchType: LaunchType = 'EC2'): void {
  // FARGATE tasks never get the host, whatever the cluster allows EC2 tasks (docs/design/fargate.md).
  const fargate = launchType === 'FARGATE';
  const violations = hostAccessViolations(td, fargate ? NO_HOST_ACCESS : hostAccessOf(cluster.settings));
  if (violations.length === 0) return;
  const who = fargate ? 'FARGATE tasks never get host access (use launchType EC2 on a cluster that allows it)' : `Cluster ${cluster.name} does not allow this task definition`;
  throw new ClientException(`${who}: ${violations.map((v) => v.message).join('; ')}`, violations[0]!.field);
}
