/**
 * The ECS calls the Terraform AWS provider (v5) makes for `aws_ecs_cluster`,
 * `aws_ecs_task_definition` and `aws_ecs_service`, with the parameters it
 * sends, in the order of create, read (refresh), update and destroy, from the
 * provider's documented behaviour (its resource pages: arguments, timeouts,
 * `wait_for_steady_state`, `force_delete`) and the requests it is known to
 * send. Terraform itself is not installable here; terraform-calls.test.ts
 * sends these calls to a real control plane, and docs/terraform.md shows the
 * provider configuration they come from.
 */
import { TEST_IMAGE } from '../helpers/docker';

export interface TerraformState {
  cluster: string;
  clusterArn?: string;
  taskDefinitionArn?: string;
  serviceArn?: string;
}

export interface TerraformCall {
  resource: 'aws_ecs_cluster' | 'aws_ecs_task_definition' | 'aws_ecs_service';
  phase: 'create' | 'wait' | 'read' | 'update' | 'destroy';
  operation: string;
  request(s: TerraformState): Record<string, unknown>;
  /** Repeated (a waiter) until this holds of the answer. */
  until?(answer: any): boolean;
  keep?(answer: any, s: TerraformState): void;
}

const TF_CLUSTER = 'tf-cluster';
const tags = [{ key: 'ManagedBy', value: 'terraform' }];

export const TERRAFORM_CALLS: TerraformCall[] = [
  // aws_ecs_cluster { name, setting { containerInsights }, configuration { execute_command_configuration }, tags }
  {
    resource: 'aws_ecs_cluster',
    phase: 'create',
    operation: 'CreateCluster',
    request: () => ({ clusterName: TF_CLUSTER, settings: [{ name: 'containerInsights', value: 'enabled' }], configuration: { executeCommandConfiguration: { logging: 'DEFAULT' } }, tags }),
    keep: (a, s) => (s.clusterArn = a.cluster.clusterArn),
  },
  { resource: 'aws_ecs_cluster', phase: 'wait', operation: 'DescribeClusters', request: (s) => ({ clusters: [s.clusterArn], include: ['TAGS', 'CONFIGURATIONS', 'SETTINGS'] }), until: (a) => a.clusters[0]?.status === 'ACTIVE' },
  { resource: 'aws_ecs_cluster', phase: 'read', operation: 'DescribeClusters', request: (s) => ({ clusters: [s.clusterArn], include: ['ATTACHMENTS', 'CONFIGURATIONS', 'SETTINGS', 'STATISTICS', 'TAGS'] }) },
  {
    resource: 'aws_ecs_cluster',
    phase: 'update',
    operation: 'UpdateCluster',
    request: () => ({ cluster: TF_CLUSTER, settings: [{ name: 'containerInsights', value: 'disabled' }], configuration: { executeCommandConfiguration: { logging: 'NONE' } } }),
  },
  { resource: 'aws_ecs_cluster', phase: 'update', operation: 'TagResource', request: (s) => ({ resourceArn: s.clusterArn, tags: [{ key: 'Env', value: 'test' }] }) },
  { resource: 'aws_ecs_cluster', phase: 'update', operation: 'UntagResource', request: (s) => ({ resourceArn: s.clusterArn, tagKeys: ['Env'] }) },
  { resource: 'aws_ecs_cluster', phase: 'read', operation: 'ListTagsForResource', request: (s) => ({ resourceArn: s.clusterArn }) },

  // aws_ecs_task_definition { family, container_definitions = jsonencode([...]), network_mode, requires_compatibilities, cpu, memory, tags }
  {
    resource: 'aws_ecs_task_definition',
    phase: 'create',
    operation: 'RegisterTaskDefinition',
    request: () => ({
      family: 'tf-app',
      containerDefinitions: [{ name: 'app', image: TEST_IMAGE, cpu: 10, memory: 32, essential: true, command: ['sleep', '3600'], portMappings: [], environment: [], mountPoints: [], volumesFrom: [] }],
      networkMode: 'bridge',
      requiresCompatibilities: ['EC2'],
      cpu: '256',
      memory: '128',
      volumes: [],
      placementConstraints: [],
      tags,
    }),
    keep: (a, s) => (s.taskDefinitionArn = a.taskDefinition.taskDefinitionArn),
  },
  { resource: 'aws_ecs_task_definition', phase: 'read', operation: 'DescribeTaskDefinition', request: (s) => ({ taskDefinition: s.taskDefinitionArn, include: ['TAGS'] }) },

  // aws_ecs_service { name, cluster, task_definition, desired_count, launch_type, deployment_circuit_breaker, wait_for_steady_state = true, tags }
  {
    resource: 'aws_ecs_service',
    phase: 'create',
    operation: 'CreateService',
    request: (s) => ({
      cluster: s.cluster,
      serviceName: 'tf-service',
      taskDefinition: s.taskDefinitionArn,
      desiredCount: 1,
      launchType: 'EC2',
      schedulingStrategy: 'REPLICA',
      deploymentController: { type: 'ECS' },
      deploymentConfiguration: { maximumPercent: 200, minimumHealthyPercent: 100, deploymentCircuitBreaker: { enable: true, rollback: true } },
      enableECSManagedTags: false,
      enableExecuteCommand: false,
      propagateTags: 'NONE',
      placementConstraints: [],
      placementStrategy: [{ type: 'spread', field: 'attribute:ecs.availability-zone' }],
      healthCheckGracePeriodSeconds: 0,
      tags,
    }),
    keep: (a, s) => (s.serviceArn = a.service.serviceArn),
  },
  { resource: 'aws_ecs_service', phase: 'wait', operation: 'DescribeServices', request: (s) => ({ cluster: s.cluster, services: [s.serviceArn], include: ['TAGS'] }), until: (a) => a.services[0]?.status === 'ACTIVE' },
  {
    resource: 'aws_ecs_service',
    phase: 'wait',
    operation: 'DescribeServices',
    request: (s) => ({ cluster: s.cluster, services: [s.serviceArn], include: ['TAGS'] }),
    // wait_for_steady_state: one deployment, COMPLETED, as many running as desired.
    until: (a) => a.services[0]?.deployments.length === 1 && a.services[0].deployments[0].rolloutState === 'COMPLETED' && a.services[0].runningCount === a.services[0].desiredCount,
  },
  {
    resource: 'aws_ecs_service',
    phase: 'update',
    operation: 'UpdateService',
    request: (s) => ({
      cluster: s.cluster,
      service: 'tf-service',
      desiredCount: 1,
      taskDefinition: s.taskDefinitionArn,
      forceNewDeployment: true,
      deploymentConfiguration: { maximumPercent: 200, minimumHealthyPercent: 100, deploymentCircuitBreaker: { enable: true, rollback: true } },
      enableExecuteCommand: false,
      placementStrategy: [{ type: 'spread', field: 'attribute:ecs.availability-zone' }],
      healthCheckGracePeriodSeconds: 0,
    }),
  },
  { resource: 'aws_ecs_service', phase: 'read', operation: 'DescribeServices', request: (s) => ({ cluster: s.cluster, services: [s.serviceArn], include: ['TAGS'] }) },
  // Destroy: scale to 0 first (not for DAEMON), then delete with force, then wait for INACTIVE.
  { resource: 'aws_ecs_service', phase: 'destroy', operation: 'UpdateService', request: (s) => ({ cluster: s.cluster, service: s.serviceArn, desiredCount: 0 }) },
  { resource: 'aws_ecs_service', phase: 'destroy', operation: 'DeleteService', request: (s) => ({ cluster: s.cluster, service: s.serviceArn, force: true }) },
  {
    resource: 'aws_ecs_service',
    phase: 'wait',
    operation: 'DescribeServices',
    request: (s) => ({ cluster: s.cluster, services: [s.serviceArn] }),
    until: (a) => a.services[0]?.status === 'INACTIVE' || a.failures?.[0]?.reason === 'MISSING',
  },
  { resource: 'aws_ecs_task_definition', phase: 'destroy', operation: 'DeregisterTaskDefinition', request: (s) => ({ taskDefinition: s.taskDefinitionArn }) },
  { resource: 'aws_ecs_task_definition', phase: 'destroy', operation: 'DeleteTaskDefinitions', request: (s) => ({ taskDefinitions: [s.taskDefinitionArn] }) },
  { resource: 'aws_ecs_cluster', phase: 'destroy', operation: 'DeleteCluster', request: () => ({ cluster: TF_CLUSTER }) },
  { resource: 'aws_ecs_cluster', phase: 'wait', operation: 'DescribeClusters', request: (s) => ({ clusters: [s.clusterArn] }), until: (a) => a.clusters[0]?.status === 'INACTIVE' },
];
