import type { PolicyDocument } from './policy-evaluation';

/**
 * The identity the control plane's ECS service acts under when it acts for
 * tasks and services rather than for a caller, like AWS's AWSServiceRoleForECS:
 * built in, listed with the roles, never usable with an access key. Today it
 * is what issues task role credentials (the dispatcher checks this policy
 * allows `sts:AssumeRole` on the task's role before each issue, and its
 * audit line names this principal) and what registers service tasks with
 * target groups; its policy says exactly that much.
 */
export const ECS_SERVICE_LINKED_ROLE = 'AWSServiceRoleForECS';
export const ECS_SERVICE_PRINCIPAL = 'ecs.amazonaws.com';

export const ECS_SERVICE_LINKED_POLICY: PolicyDocument = {
  Version: '2012-10-17',
  Statement: [
    // Task roles: ECS assumes the role on the task's behalf (the role's trust of ecs-tasks.amazonaws.com in AWS).
    { Sid: 'TaskRoles', Effect: 'Allow', Action: ['sts:AssumeRole'], Resource: ['arn:aws:iam::*:role/*'] },
    { Sid: 'LoadBalancers', Effect: 'Allow', Action: ['elasticloadbalancing:RegisterTargets', 'elasticloadbalancing:DeregisterTargets', 'elasticloadbalancing:DescribeTargetHealth'], Resource: ['*'] },
  ],
};

export const ecsServiceRoleArn = (account: string) => `arn:aws:iam::${account}:role/aws-service-role/${ECS_SERVICE_PRINCIPAL}/${ECS_SERVICE_LINKED_ROLE}`;

/** The session task credentials are issued under, as CloudTrail would show it. */
export const ecsServicePrincipalArn = (account: string) => `arn:aws:sts::${account}:assumed-role/${ECS_SERVICE_LINKED_ROLE}/ecs-tasks`;

/** The session the service scheduler acts as (target registration), as CloudTrail shows ECS's. */
export const ecsServiceSchedulerArn = (account: string) => `arn:aws:sts::${account}:assumed-role/${ECS_SERVICE_LINKED_ROLE}/ecs-service-scheduler`;
