/**
 * What a task may take from its host beyond an ordinary container. Each of
 * these hands the container (a good part of) the host, so a cluster refuses
 * them unless an administrator enabled them with a cluster setting
 * (docs/design/host-access.md). `hostAccessViolations` is the one decision:
 * RegisterTaskDefinition applies it with everything allowed (what remains is
 * never allowed), RunTask, StartTask and services with the cluster's policy,
 * and the agent again with the policy carried in the assignment, before it
 * touches Docker.
 */
export interface HostAccess {
  privileged: boolean;
  hostNetwork: boolean;
  hostPid: boolean;
  hostIpc: boolean;
  addedCapabilities: boolean;
  hostDevices: boolean;
  hostPathVolumes: boolean;
  hostDockerVolumes: boolean;
  securityOptions: boolean;
  hostSystemControls: boolean;
}
