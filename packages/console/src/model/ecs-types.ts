/** The parts of ECS's response shapes the console reads (field names as ECS has them). */
export interface Deployment {
  id: string;
  status: 'PRIMARY' | 'ACTIVE' | 'INACTIVE' | string;
  taskDefinition: string;
  desiredCount?: number;
  runningCount?: number;
  pendingCount?: number;
  failedTasks?: number;
  rolloutState?: 'IN_PROGRESS' | 'COMPLETED' | 'FAILED' | string;
  rolloutStateReason?: string;
  createdAt?: number;
  updatedAt?: number;
}

export interface ServiceEvent {
  id: string;
  createdAt: number;
  message: string;
}

export interface Service {
  serviceName: string;
  serviceArn: string;
  clusterArn?: string;
  status: string;
  desiredCount: number;
  runningCount: number;
  pendingCount: number;
  taskDefinition?: string;
  launchType?: string;
  deployments?: Deployment[];
  events?: ServiceEvent[];
  loadBalancers?: { targetGroupArn?: string; containerName?: string; containerPort?: number }[];
  createdAt?: number;
}

export interface Container {
  name: string;
  containerArn?: string;
  image?: string;
  lastStatus?: string;
  exitCode?: number;
  reason?: string;
  healthStatus?: string;
  networkBindings?: { bindIP?: string; containerPort?: number; hostPort?: number; protocol?: string }[];
  /** ECS Exec's ExecuteCommandAgent, on the containers of a task with enableExecuteCommand. */
  managedAgents?: { name?: string; lastStatus?: string }[];
}

export interface Task {
  taskArn: string;
  clusterArn?: string;
  taskDefinitionArn: string;
  containerInstanceArn?: string;
  lastStatus: string;
  desiredStatus: string;
  healthStatus?: string;
  startedBy?: string;
  group?: string;
  availabilityZone?: string;
  stopCode?: string;
  stoppedReason?: string;
  createdAt?: number;
  startedAt?: number;
  stoppedAt?: number;
  cpu?: string;
  memory?: string;
  containers?: Container[];
  launchType?: string;
  enableExecuteCommand?: boolean;
}

export interface Resource {
  name: string;
  type?: string;
  integerValue?: number;
  stringSetValue?: string[];
}

export interface ContainerInstance {
  containerInstanceArn: string;
  ec2InstanceId?: string;
  status: string;
  agentConnected?: boolean;
  runningTasksCount?: number;
  pendingTasksCount?: number;
  registeredResources?: Resource[];
  remainingResources?: Resource[];
  attributes?: { name: string; value?: string }[];
  registeredAt?: number;
  versionInfo?: { agentVersion?: string };
}

export interface Cluster {
  clusterArn: string;
  clusterName: string;
  status: string;
  registeredContainerInstancesCount?: number;
  runningTasksCount?: number;
  pendingTasksCount?: number;
  activeServicesCount?: number;
}

/** `family:revision` of a task definition ARN. */
export function taskDefinitionName(arn: string | undefined): string {
  if (!arn) return '-';
  return arn.slice(arn.lastIndexOf('/') + 1);
}
