/**
 * The request examples of AWS's ECS documentation (the AWS CLI examples of
 * the ECS API Reference and the AWS SDK code library, one section per
 * operation: "ecs_example_ecs_<Operation>_section"), rewritten with our own
 * names and values and run in an order where each finds what it needs. Each
 * names the documented example it follows. The suite (ecs-examples.test.ts)
 * sends every example whose operation the control plane serves and checks
 * the answer against the service model, and checks that every served ECS
 * operation has an example here.
 */
import { TEST_IMAGE } from '../helpers/docker';

/** What earlier examples leave for later ones (ARNs the server chose). */
export interface ExampleState {
  /** The test cluster, with one agent. */
  cluster: string;
  instanceArn?: string;
  taskArn?: string;
  startedTaskArn?: string;
  /** A RUNNING task with enableExecuteCommand (ready 'exec-task'). */
  execTaskArn?: string;
  serviceTaskArn?: string;
  serviceDeploymentArn?: string;
  serviceRevisionArn?: string;
  hostGroupArn?: string;
  taskDefinitionArn?: string;
  docsClusterArn?: string;
}

export interface EcsExample {
  operation: string;
  /** The documented example this one follows. */
  doc: string;
  request(s: ExampleState): Record<string, unknown>;
  /** Reads what later examples need from the answer. */
  keep?(answer: any, s: ExampleState): void;
  /** Something to wait for first (a service's task to exist). */
  ready?: 'service-task' | 'exec-task';
}

const DOCS_CLUSTER = 'compat-docs';
const EMPTY_CLUSTER = 'compat-empty';
const FAMILY = 'compat-sleep360';
const SERVICE = 'compat-simple-service';
const PROVIDER = 'compat-provider';

export const ECS_EXAMPLES: EcsExample[] = [
  { operation: 'PutAccountSettingDefault', doc: 'put-account-setting-default: To modify the default account settings', request: () => ({ name: 'serviceLongArnFormat', value: 'enabled' }) },
  { operation: 'PutAccountSetting', doc: 'put-account-setting: To modify the setting for your user account', request: () => ({ name: 'containerInsights', value: 'enabled' }) },
  { operation: 'ListAccountSettings', doc: 'list-account-settings: To view the effective account settings for an account', request: () => ({ effectiveSettings: true }) },
  { operation: 'DeleteAccountSetting', doc: 'delete-account-setting: To delete the account settings for a specific IAM user or IAM role', request: () => ({ name: 'containerInsights' }) },

  { operation: 'CreateCluster', doc: 'create-cluster: Example 1: To create a new cluster', request: () => ({ clusterName: DOCS_CLUSTER }), keep: (a, s) => (s.docsClusterArn = a.cluster.clusterArn) },
  { operation: 'CreateCluster', doc: 'create-cluster: Example 3: To create a new cluster with multiple tags', request: () => ({ clusterName: EMPTY_CLUSTER, tags: [{ key: 'key1', value: 'value1' }, { key: 'key2', value: 'value2' }] }) },
  { operation: 'ListClusters', doc: 'list-clusters: To list your available clusters', request: () => ({}) },
  { operation: 'DescribeClusters', doc: 'describe-clusters: Example 1: To describe a cluster', request: () => ({ clusters: [DOCS_CLUSTER] }) },
  { operation: 'DescribeClusters', doc: 'describe-clusters: Example 2: Describe a cluster with the attachment option', request: () => ({ clusters: [DOCS_CLUSTER], include: ['ATTACHMENTS', 'SETTINGS', 'STATISTICS', 'TAGS', 'CONFIGURATIONS'] }) },
  { operation: 'UpdateClusterSettings', doc: 'update-cluster-settings: To modify the settings for your cluster', request: () => ({ cluster: DOCS_CLUSTER, settings: [{ name: 'containerInsights', value: 'enabled' }] }) },
  { operation: 'UpdateCluster', doc: 'update-cluster: Example 1: Update ECS cluster enabling containerInsights', request: () => ({ cluster: DOCS_CLUSTER, settings: [{ name: 'containerInsights', value: 'enabled' }] }) },
  {
    operation: 'UpdateCluster',
    doc: 'update-cluster: Example 3: Update ECS cluster with executeCommandConfiguration',
    request: () => ({ cluster: DOCS_CLUSTER, configuration: { executeCommandConfiguration: { logging: 'OVERRIDE', logConfiguration: { cloudWatchLogGroupName: '/compat/exec', cloudWatchEncryptionEnabled: false } } } }),
  },

  {
    operation: 'RegisterTaskDefinition',
    doc: 'register-task-definition: Example 1: To register a task definition with a JSON file (sleep360)',
    request: () => ({ family: FAMILY, containerDefinitions: [{ name: 'sleep', image: TEST_IMAGE, cpu: 10, command: ['sleep', '360'], memory: 16, essential: true }], volumes: [] }),
    keep: (a, s) => (s.taskDefinitionArn = a.taskDefinition.taskDefinitionArn),
  },
  { operation: 'ListTaskDefinitionFamilies', doc: 'list-task-definition-families: Example 2: To filter the registered task definition families', request: () => ({ familyPrefix: 'compat-' }) },
  { operation: 'ListTaskDefinitions', doc: 'list-task-definitions: Example 2: To list the registered task definitions in a family', request: () => ({ familyPrefix: FAMILY }) },
  { operation: 'DescribeTaskDefinition', doc: 'describe-task-definition: To describe a task definition', request: () => ({ taskDefinition: `${FAMILY}:1` }) },

  { operation: 'ListContainerInstances', doc: 'list-container-instances: To list the available container instances in a cluster', request: (s) => ({ cluster: s.cluster }), keep: (a, s) => (s.instanceArn = a.containerInstanceArns[0]) },
  { operation: 'DescribeContainerInstances', doc: 'describe-container-instances: To describe container instance', request: (s) => ({ cluster: s.cluster, containerInstances: [s.instanceArn] }) },
  { operation: 'PutAttributes', doc: 'put-attributes: To create an attribute and associate it with an Amazon ECS resource', request: (s) => ({ cluster: s.cluster, attributes: [{ name: 'stack', value: 'production', targetId: s.instanceArn }] }) },
  { operation: 'ListAttributes', doc: 'list-attributes: To list the container instances that contain a specific attribute', request: (s) => ({ cluster: s.cluster, targetType: 'container-instance', attributeName: 'stack' }) },
  { operation: 'DeleteAttributes', doc: 'delete-attributes: To delete one or more custom attributes from an Amazon ECS resource', request: (s) => ({ cluster: s.cluster, attributes: [{ name: 'stack', targetId: s.instanceArn }] }) },

  { operation: 'RunTask', doc: 'run-task: Example 1: To run a task on your default cluster', request: (s) => ({ cluster: s.cluster, taskDefinition: `${FAMILY}:1`, count: 1 }), keep: (a, s) => (s.taskArn = a.tasks[0].taskArn) },
  { operation: 'ListTasks', doc: 'list-tasks: Example 1: To list the tasks in a cluster', request: (s) => ({ cluster: s.cluster }) },
  { operation: 'ListTasks', doc: 'list-tasks: Example 3: To list the tasks started by a specific task definition family', request: (s) => ({ cluster: s.cluster, family: FAMILY }) },
  { operation: 'DescribeTasks', doc: 'describe-tasks: Example 1: To describe a single task', request: (s) => ({ cluster: s.cluster, tasks: [s.taskArn] }) },
  {
    operation: 'ExecuteCommand',
    doc: 'execute-command: To run an interactive /bin/sh command',
    // The example assumes a running task started with enableExecuteCommand.
    ready: 'exec-task',
    request: (s) => ({ cluster: s.cluster, task: s.execTaskArn, container: 'sleep', interactive: true, command: '/bin/sh' }),
  },
  { operation: 'StopTask', doc: 'stop-task: To stop a task', request: (s) => ({ cluster: s.cluster, task: s.taskArn, reason: 'compatibility suite' }) },
  {
    operation: 'StartTask',
    doc: 'start-task: To start a new task on a specific container instance',
    request: (s) => ({ cluster: s.cluster, taskDefinition: `${FAMILY}:1`, containerInstances: [s.instanceArn] }),
    keep: (a, s) => (s.startedTaskArn = a.tasks[0].taskArn),
  },
  { operation: 'StopTask', doc: 'stop-task: To stop a task (the one start-task started)', request: (s) => ({ cluster: s.cluster, task: s.startedTaskArn }) },

  { operation: 'CreateService', doc: 'create-service: Example 2: To create a service using the EC2 launch type', request: (s) => ({ cluster: s.cluster, serviceName: SERVICE, taskDefinition: FAMILY, desiredCount: 1 }) },
  { operation: 'ListServices', doc: 'list-services: To list the services in a cluster', request: (s) => ({ cluster: s.cluster }) },
  { operation: 'DescribeServices', doc: 'describe-services: To describe a service', request: (s) => ({ cluster: s.cluster, services: [SERVICE] }) },
  { operation: 'ListTasks', doc: 'list-tasks: Example 2: To list the tasks of a particular service', request: (s) => ({ cluster: s.cluster, serviceName: SERVICE }), ready: 'service-task', keep: (a, s) => (s.serviceTaskArn = a.taskArns[0]) },
  {
    operation: 'UpdateTaskProtection',
    doc: 'update-task-protection: Example 1: Enable task protection for ECS tasks',
    request: (s) => ({ cluster: s.cluster, tasks: [s.serviceTaskArn], protectionEnabled: true, expiresInMinutes: 60 }),
  },
  { operation: 'GetTaskProtection', doc: 'get-task-protection: Retrieve the protection status of task in ECS service', request: (s) => ({ cluster: s.cluster, tasks: [s.serviceTaskArn] }) },
  { operation: 'UpdateTaskProtection', doc: 'update-task-protection: Example 2: Disable task protection for ECS tasks', request: (s) => ({ cluster: s.cluster, tasks: [s.serviceTaskArn], protectionEnabled: false }) },
  { operation: 'UpdateService', doc: 'update-service: Example 2: To change the number of tasks in a service', request: (s) => ({ cluster: s.cluster, service: SERVICE, desiredCount: 2 }) },
  { operation: 'UpdateService', doc: 'update-service: Example 1: To change the task definition used in a service', request: (s) => ({ cluster: s.cluster, service: SERVICE, taskDefinition: `${FAMILY}:1`, forceNewDeployment: true }) },
  {
    operation: 'ListServiceDeployments',
    doc: 'list-service-deployments: To list service deployments',
    request: (s) => ({ cluster: s.cluster, service: SERVICE }),
    keep: (a, s) => {
      s.serviceDeploymentArn = a.serviceDeployments[0].serviceDeploymentArn;
      s.serviceRevisionArn = a.serviceDeployments[0].targetServiceRevisionArn;
    },
  },
  { operation: 'DescribeServiceDeployments', doc: 'describe-service-deployments: To describe service deployment details', request: (s) => ({ serviceDeploymentArns: [s.serviceDeploymentArn] }) },
  { operation: 'DescribeServiceRevisions', doc: 'describe-service-revisions: To describe service revision details', request: (s) => ({ serviceRevisionArns: [s.serviceRevisionArn] }) },
  { operation: 'DescribeTaskSets', doc: 'describe-task-sets: To describe a task set (a rolling service has none)', request: (s) => ({ cluster: s.cluster, service: SERVICE }) },
  { operation: 'UpdateContainerInstancesState', doc: 'update-container-instances-state: To update the state of a container instance', request: (s) => ({ cluster: s.cluster, containerInstances: [s.instanceArn], status: 'DRAINING' }) },
  { operation: 'UpdateContainerInstancesState', doc: 'update-container-instances-state: back to ACTIVE', request: (s) => ({ cluster: s.cluster, containerInstances: [s.instanceArn], status: 'ACTIVE' }) },

  { operation: 'DescribeCapacityProviders', doc: 'describe-capacity-providers: Example 2: To describe a specific capacity provider', request: () => ({ capacityProviders: ['FARGATE'] }) },
  {
    operation: 'CreateCapacityProvider',
    doc: 'create-capacity-provider: To create a capacity provider (over a host group, our Auto Scaling group)',
    request: (s) => ({ name: PROVIDER, autoScalingGroupProvider: { autoScalingGroupArn: s.hostGroupArn, managedScaling: { status: 'ENABLED', targetCapacity: 100 }, managedTerminationProtection: 'DISABLED' } }),
  },
  { operation: 'UpdateCapacityProvider', doc: 'update-capacity-provider: To update the capacity provider managed scaling', request: () => ({ name: PROVIDER, autoScalingGroupProvider: { managedScaling: { status: 'DISABLED' } } }) },
  { operation: 'PutClusterCapacityProviders', doc: 'put-cluster-capacity-providers: Example 1: To add an existing capacity provider to a cluster', request: (s) => ({ cluster: s.cluster, capacityProviders: [PROVIDER, 'FARGATE'], defaultCapacityProviderStrategy: [{ capacityProvider: PROVIDER, weight: 1 }] }) },
  { operation: 'PutClusterCapacityProviders', doc: 'put-cluster-capacity-providers: Example 2: To remove a capacity provider from a cluster', request: (s) => ({ cluster: s.cluster, capacityProviders: ['FARGATE'], defaultCapacityProviderStrategy: [] }) },
  { operation: 'DeleteCapacityProvider', doc: 'delete-capacity-provider: Example 1: To delete a capacity provider using the Amazon Resource Name (ARN)', request: () => ({ capacityProvider: PROVIDER }) },

  { operation: 'TagResource', doc: 'tag-resource: To tag a resource', request: (s) => ({ resourceArn: s.docsClusterArn, tags: [{ key: 'team', value: 'dev' }] }) },
  { operation: 'ListTagsForResource', doc: 'list-tags-for-resource: To list the tags for a resource', request: (s) => ({ resourceArn: s.docsClusterArn }) },
  { operation: 'UntagResource', doc: 'untag-resource: To remove a tag from a resource', request: (s) => ({ resourceArn: s.docsClusterArn, tagKeys: ['team'] }) },

  { operation: 'DeleteService', doc: 'delete-service: To delete a service', request: (s) => ({ cluster: s.cluster, service: SERVICE, force: true }) },
  { operation: 'DeregisterTaskDefinition', doc: 'deregister-task-definition: To deregister a task definition revision', request: () => ({ taskDefinition: `${FAMILY}:1` }) },
  { operation: 'DeleteTaskDefinitions', doc: 'delete-task-definitions: To delete a task definition', request: () => ({ taskDefinitions: [`${FAMILY}:1`] }) },
  { operation: 'DeleteCluster', doc: 'delete-cluster: To delete an empty cluster', request: () => ({ cluster: EMPTY_CLUSTER }) },
  { operation: 'DeregisterContainerInstance', doc: 'deregister-container-instance: To deregister a container instance from a cluster', request: (s) => ({ cluster: s.cluster, containerInstance: s.instanceArn, force: true }) },
];

export const EXAMPLE_NAMES = { DOCS_CLUSTER, EMPTY_CLUSTER, FAMILY, SERVICE, PROVIDER };
