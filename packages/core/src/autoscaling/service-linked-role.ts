import type { PolicyDocument } from '../iam/policy-evaluation';

/**
 * The identity the autoscaler acts under, like AWS's service-linked role
 * for Application Auto Scaling on ECS: built in, listed with the roles, never
 * usable with an access key, and scoped to what scaling needs (read and
 * update services, manage its target-tracking alarms). The autoscaler checks
 * this policy before each write and audit lines name this role as the caller,
 * so a scaling change is never attributed to an administrator.
 */
export const AUTOSCALING_SERVICE_LINKED_ROLE = 'AWSServiceRoleForApplicationAutoScaling_ECSService';
export const AUTOSCALING_SERVICE_PRINCIPAL = 'ecs.application-autoscaling.amazonaws.com';

export const AUTOSCALING_SERVICE_LINKED_POLICY: PolicyDocument = {
  Version: '2012-10-17',
  Statement: [
    { Sid: 'Services', Effect: 'Allow', Action: ['ecs:DescribeServices', 'ecs:UpdateService'], Resource: ['*'] },
    {
      Sid: 'Alarms',
      Effect: 'Allow',
      Action: ['cloudwatch:DescribeAlarms', 'cloudwatch:PutMetricAlarm', 'cloudwatch:DeleteAlarms'],
      Resource: ['*'],
    },
  ],
};

/** The role's ARN, on AWS's service-role path. */
export const autoscalingRoleArn = (account: string) => `arn:aws:iam::${account}:role/aws-service-role/${AUTOSCALING_SERVICE_PRINCIPAL}/${AUTOSCALING_SERVICE_LINKED_ROLE}`;

/** The caller audit lines and `updatedBy` name: the role's session, as AWS's CloudTrail shows it. */
export const autoscalingPrincipalArn = (account: string) => `arn:aws:sts::${account}:assumed-role/${AUTOSCALING_SERVICE_LINKED_ROLE}/AutoScaling`;
