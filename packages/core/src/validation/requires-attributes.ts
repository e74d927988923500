import type { ContainerDefinition, TaskDefinition, TaskDefinitionInput } from '../model/task-definition';

/**
 * The instance attributes a definition needs (`requiresAttributes`), named as
 * the ECS agent registers them (agent/app/agent_capability.go) so the
 * scheduler's attribute filter and DescribeTaskDefinition look like ECS.
 * Docker Remote API versions are added only where the ECS parameter reference
 * names one; everything else Stevedore's agents support on any Docker >= 20.10.
 */

type RequiredAttribute = TaskDefinition['requiresAttributes'][number];

const LEGACY = 'com.amazonaws.ecs.capability.';
const ATTR = 'ecs.capability.';

/** Minimum Docker API per log driver, as the ECS agent's LoggingDriverMinimumVersion table (a Map: the driver is request input). */
const LOG_DRIVER_API: ReadonlyMap<string, string> = new Map([
  ['json-file', '1.18'],
  ['syslog', '1.18'],
  ['journald', '1.19'],
  ['gelf', '1.20'],
  ['fluentd', '1.20'],
  ['awslogs', '1.19'],
  ['splunk', '1.22'],
  ['logentries', '1.25'],
  ['none', '1.19'],
]);

const ECR_IMAGE = /^\d{12}\.dkr\.ecr(-fips)?\.[a-z0-9-]+\.amazonaws\.com(\.cn)?\//;
const SECRETS_MANAGER_ARN = /^arn:aws[a-z-]*:secretsmanager:/;
const API_1_21_MEMORY_RESERVATION = '1.21';

function secretSource(valueFrom: string): 'asm' | 'ssm' {
  return SECRETS_MANAGER_ARN.test(valueFrom) ? 'asm' : 'ssm';
}

function containerAttributes(c: ContainerDefinition, td: TaskDefinitionInput, add: (name: string) => void): void {
  const dockerApi = (version: string) => add(`${LEGACY}docker-remote-api.${version}`);
  if (c.memoryReservation !== undefined) dockerApi(API_1_21_MEMORY_RESERVATION);
  if (c.dockerLabels !== undefined) dockerApi('1.18');
  if (c.ulimits !== undefined) dockerApi('1.18');
  if (c.privileged === true) add(`${LEGACY}privileged-container`);
  for (const opt of c.dockerSecurityOptions ?? []) {
    if (opt.startsWith('label:')) add(`${LEGACY}selinux`);
    if (opt.startsWith('apparmor:')) add(`${LEGACY}apparmor`);
  }
  if (ECR_IMAGE.test(c.image)) {
    add(`${LEGACY}ecr-auth`);
    if (td.executionRoleArn !== undefined) add(`${ATTR}execution-role-ecr-pull`);
  }
  if (c.repositoryCredentials !== undefined) add(`${ATTR}private-registry-authentication.secretsmanager`);
  const log = c.logConfiguration;
  if (log !== undefined) {
    dockerApi('1.18');
    add(`${LEGACY}logging-driver.${log.logDriver}`);
    const api = LOG_DRIVER_API.get(log.logDriver);
    if (api !== undefined) dockerApi(api);
    if (log.logDriver === 'awslogs' && td.executionRoleArn !== undefined) add(`${ATTR}execution-role-awslogs`);
    for (const s of log.secretOptions ?? []) add(`${ATTR}secrets.${secretSource(s.valueFrom)}.bootstrap.log-driver`);
  }
  for (const s of c.secrets ?? []) add(`${ATTR}secrets.${secretSource(s.valueFrom)}.environment-variables`);
  if (c.healthCheck !== undefined) {
    add(`${ATTR}container-health-check`);
    dockerApi('1.24');
  }
  if (c.linuxParameters?.initProcessEnabled === true) dockerApi('1.25');
  if ((c.dependsOn?.length ?? 0) > 0 || c.startTimeout !== undefined) add(`${ATTR}container-ordering`);
  if ((c.environmentFiles?.length ?? 0) > 0) add(`${ATTR}env-files.s3`);
  if (c.firelensConfiguration !== undefined) {
    add(`${ATTR}firelens.${c.firelensConfiguration.type}`);
    const configType = c.firelensConfiguration.options?.['config-file-type'];
    if (configType === 'file' || configType === 's3') add(`${ATTR}firelens.options.config.${configType}`);
  }
  if (c.portMappings?.some((m) => m.containerPortRange !== undefined)) add(`${ATTR}network.container-port-range`);
  if (c.restartPolicy?.enabled === true) add(`${ATTR}container-restart-policy`);
  for (const spec of c.credentialSpecs ?? []) add(`${ATTR}${spec.startsWith('credentialspecdomainless:') ? 'gmsa-domainless' : 'gmsa'}`);
}

export function computeRequiresAttributes(td: TaskDefinitionInput): RequiredAttribute[] {
  const names: string[] = [];
  const add = (name: string) => {
    if (!names.includes(name)) names.push(name);
  };
  for (const c of td.containerDefinitions) containerAttributes(c, td, add);

  if (td.taskRoleArn !== undefined) {
    add(`${LEGACY}task-iam-role`);
    if (td.networkMode === 'host') add(`${LEGACY}task-iam-role-network-host`);
  }
  if (td.networkMode === 'awsvpc') add(`${ATTR}task-eni`);
  if (td.cpu !== undefined || td.memory !== undefined) add(`${ATTR}task-cpu-mem-limit`);
  // Above the old 10 vCPU ceiling the agent must advertise the raised limit.
  if (td.cpu !== undefined && Number(td.cpu) > 10240) add(`${ATTR}increased-task-cpu-limit`);
  if (td.pidMode !== undefined || td.ipcMode !== undefined) add(`${ATTR}pid-ipc-namespace-sharing`);
  if (td.proxyConfiguration !== undefined) add(`${ATTR}aws-appmesh`);
  if ((td.inferenceAccelerators?.length ?? 0) > 0) add(`${ATTR}task-eia`);
  if (td.enableFaultInjection === true) add(`${ATTR}fault-injection`);
  for (const v of td.volumes ?? []) {
    if (v.dockerVolumeConfiguration !== undefined) add(`${ATTR}docker-plugin.${v.dockerVolumeConfiguration.driver ?? 'local'}`);
    if (v.efsVolumeConfiguration !== undefined) {
      add(`${ATTR}efs`);
      const efs = v.efsVolumeConfiguration;
      if (efs.transitEncryption === 'ENABLED' || efs.authorizationConfig !== undefined) add(`${ATTR}efsAuth`);
    }
    if (v.fsxWindowsFileServerVolumeConfiguration !== undefined) add(`${ATTR}fsxWindowsFileServer`);
    if (v.configuredAtLaunch === true) add(`${ATTR}storage.ebs-task-volume-attach`);
  }
  return names.map((name) => ({ name }));
}
