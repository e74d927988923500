/**
 * ECS task definition shapes, field for field as the ECS API names them.
 * Revisions are immutable: nothing in Stevedore mutates a stored definition.
 */
export interface KeyValuePair { name?: string; value?: string }
export interface Tag { key: string; value?: string }

export interface PortMapping {
  containerPort?: number;
  hostPort?: number;
  protocol?: 'tcp' | 'udp';
  name?: string;
  appProtocol?: 'http' | 'http2' | 'grpc';
  containerPortRange?: string;
}

export interface HealthCheck {
  command: string[];
  interval?: number;
  timeout?: number;
  retries?: number;
  startPeriod?: number;
}

export interface ContainerDependency {
  containerName: string;
  condition: 'START' | 'COMPLETE' | 'SUCCESS' | 'HEALTHY';
}

export interface MountPoint { sourceVolume?: string; containerPath?: string; readOnly?: boolean }
export interface VolumeFrom { sourceContainer?: string; readOnly?: boolean }
export interface Secret { name: string; valueFrom: string }
export interface Ulimit { name: string; softLimit: number; hardLimit: number }
export interface HostEntry { hostname: string; ipAddress: string }
export interface LogConfiguration { logDriver: string; options?: Record<string, string>; secretOptions?: Secret[] }

export interface LinuxParameters {
  capabilities?: { add?: string[]; drop?: string[] };
  devices?: { hostPath: string; containerPath?: string; permissions?: string[] }[];
  initProcessEnabled?: boolean;
  sharedMemorySize?: number;
  tmpfs?: { containerPath: string; size: number; mountOptions?: string[] }[];
  maxSwap?: number;
  swappiness?: number;
}

export interface ContainerDefinition {
  name: string;
  image: string;
  repositoryCredentials?: { credentialsParameter: string };
  cpu?: number;
  memory?: number;
  memoryReservation?: number;
  links?: string[];
  portMappings?: PortMapping[];
  essential?: boolean;
  restartPolicy?: { enabled: boolean; ignoredExitCodes?: number[]; restartAttemptPeriod?: number };
  entryPoint?: string[];
  command?: string[];
  environment?: KeyValuePair[];
  environmentFiles?: { value: string; type: string }[];
  mountPoints?: MountPoint[];
  volumesFrom?: VolumeFrom[];
  linuxParameters?: LinuxParameters;
  secrets?: Secret[];
  dependsOn?: ContainerDependency[];
  startTimeout?: number;
  stopTimeout?: number;
  versionConsistency?: 'enabled' | 'disabled';
  hostname?: string;
  user?: string;
  workingDirectory?: string;
  disableNetworking?: boolean;
  privileged?: boolean;
  readonlyRootFilesystem?: boolean;
  dnsServers?: string[];
  dnsSearchDomains?: string[];
  extraHosts?: HostEntry[];
  dockerSecurityOptions?: string[];
  interactive?: boolean;
  pseudoTerminal?: boolean;
  dockerLabels?: Record<string, string>;
  ulimits?: Ulimit[];
  logConfiguration?: LogConfiguration;
  healthCheck?: HealthCheck;
  systemControls?: { namespace?: string; value?: string }[];
  resourceRequirements?: { value: string; type: 'GPU' | 'InferenceAccelerator' }[];
  firelensConfiguration?: { type: 'fluentd' | 'fluentbit'; options?: Record<string, string> };
  credentialSpecs?: string[];
}

export interface Volume {
  name?: string;
  host?: { sourcePath?: string };
  configuredAtLaunch?: boolean;
  dockerVolumeConfiguration?: {
    scope?: 'task' | 'shared';
    autoprovision?: boolean;
    driver?: string;
    driverOpts?: Record<string, string>;
    labels?: Record<string, string>;
  };
  efsVolumeConfiguration?: {
    fileSystemId: string;
    rootDirectory?: string;
    transitEncryption?: 'ENABLED' | 'DISABLED';
    transitEncryptionPort?: number;
    authorizationConfig?: { accessPointId?: string; iam?: 'ENABLED' | 'DISABLED' };
  };
  fsxWindowsFileServerVolumeConfiguration?: {
    fileSystemId: string;
    rootDirectory: string;
    authorizationConfig: { credentialsParameter: string; domain: string };
  };
}

export type NetworkMode = 'bridge' | 'host' | 'awsvpc' | 'none';
export type Compatibility = 'EC2' | 'FARGATE' | 'EXTERNAL';

export interface TaskDefinitionPlacementConstraint { type: 'memberOf'; expression?: string }

/** What RegisterTaskDefinition accepts (after validation and defaults). */
export interface TaskDefinitionInput {
  family: string;
  taskRoleArn?: string;
  executionRoleArn?: string;
  networkMode?: NetworkMode;
  containerDefinitions: ContainerDefinition[];
  volumes?: Volume[];
  placementConstraints?: TaskDefinitionPlacementConstraint[];
  requiresCompatibilities?: Compatibility[];
  cpu?: string;
  memory?: string;
  tags?: Tag[];
  pidMode?: 'host' | 'task';
  ipcMode?: 'host' | 'task' | 'none';
  proxyConfiguration?: { type?: 'APPMESH'; containerName: string; properties?: KeyValuePair[] };
  inferenceAccelerators?: { deviceName: string; deviceType: string }[];
  ephemeralStorage?: { sizeInGiB: number };
  runtimePlatform?: { cpuArchitecture?: 'X86_64' | 'ARM64'; operatingSystemFamily?: string };
  enableFaultInjection?: boolean;
}

export type TaskDefinitionStatus = 'ACTIVE' | 'INACTIVE' | 'DELETE_IN_PROGRESS';

/** A registered revision, as DescribeTaskDefinition returns it (tags aside). */
export interface TaskDefinition extends Omit<TaskDefinitionInput, 'tags'> {
  taskDefinitionArn: string;
  revision: number;
  status: TaskDefinitionStatus;
  requiresAttributes: { name: string; value?: string; targetType?: string }[];
  compatibilities: Compatibility[];
  registeredAt: number;
  deregisteredAt?: number;
  /** DeleteTaskDefinitions: when deletion was requested (status DELETE_IN_PROGRESS). */
  deleteRequestedAt?: number;
  registeredBy?: string;
}
