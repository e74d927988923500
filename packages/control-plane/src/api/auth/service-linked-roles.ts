import {
  AUTOSCALING_SERVICE_LINKED_POLICY,
  AUTOSCALING_SERVICE_LINKED_ROLE,
  AUTOSCALING_SERVICE_PRINCIPAL,
  autoscalingRoleArn,
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
]);
