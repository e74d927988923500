import {
  AUTOSCALING_SERVICE_LINKED_POLICY,
  AUTOSCALING_SERVICE_LINKED_ROLE,
  AUTOSCALING_SERVICE_PRINCIPAL,
  autoscalingRoleArn,
  ECS_SERVICE_LINKED_POLICY,
  ECS_SERVICE_LINKED_ROLE,
  ECS_SERVICE_PRINCIPAL,
  ecsServiceRoleArn,
} from '@stevedore/core';
import type { BuiltInRole } from './policy';

/**
 * Roles only a Stevedore component can act under, as AWS's service-linked
 * roles: listed with the roles (so operators see what they may do), never
 * created, changed or deleted, and no access key can be made for them. The
 * component checks the role's policy itself before each write.
 */
export interface ServiceLinkedRole extends BuiltInRole {
  /** The AWS service principal that "assumes" it. */
  servicePrincipal: string;
  arn: (account: string) => string;
}

export const SERVICE_LINKED_ROLES: ReadonlyMap<string, ServiceLinkedRole> = new Map([
  [
    AUTOSCALING_SERVICE_LINKED_ROLE,
    {
      roleName: AUTOSCALING_SERVICE_LINKED_ROLE,
      description: 'Used by the autoscaler (Application Auto Scaling) to read and update ECS services and manage target-tracking alarms.',
      policyDocument: AUTOSCALING_SERVICE_LINKED_POLICY,
      servicePrincipal: AUTOSCALING_SERVICE_PRINCIPAL,
      arn: autoscalingRoleArn,
    },
  ],
  [
    ECS_SERVICE_LINKED_ROLE,
    {
      roleName: ECS_SERVICE_LINKED_ROLE,
      description: 'Used by the control plane to act for tasks and services: it issues task role credentials (sts:AssumeRole on the task role) and registers service tasks with target groups.',
      policyDocument: ECS_SERVICE_LINKED_POLICY,
      servicePrincipal: ECS_SERVICE_PRINCIPAL,
      arn: ecsServiceRoleArn,
    },
  ],
]);
