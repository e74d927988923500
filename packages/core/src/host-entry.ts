/**
 * `@stevedore/core/host`: the part of core the programs on a host (the agent)
 * use: the task model and its statuses, host-access rules, instance
 * attributes, log and load-balancer settings a host applies, process
 * plumbing. The package's main entry also loads the control plane's logic
 * (placement, services, deployments, autoscaling, schedules, metrics, IAM):
 * ~300 KB of source the agent would keep in memory on every host for nothing.
 * Whole modules are re-exported, so a name a host needs is added here with its
 * file.
 */
export * from './errors';
export * from './clock';
export * from './arn';
export * from './status/task-status';
export * from './status/container-status';
export * from './model/task-definition';
export * from './model/task';
export * from './model/container-instance';
export * from './model/assignment';
export * from './model/load-balancer';
export * from './model/host-access';
export * from './validation/host-access';
export * from './validation/instance-attributes';
export * from './launch/fargate';
export * from './logs/awslogs-config';
export * from './logs/multiline';
export * from './load-balancing/gateway';
export * from './load-balancing/host-config';
export * from './load-balancing/health-check';
export * from './load-balancing/ssl-policies';
export * from './load-balancing/rules';
export * from './version/build-info';
export * from './process/fatal-errors';
export * from './process/systemd-notify';
