/**
 * The AWS services the console calls, each in its own protocol as any SDK
 * would: the X-Amz-Target prefix, the JSON content type and the SigV4
 * signing name. ELBv2 and CloudWatch are Query services; their JSON
 * protocol (what current SDKs speak) is served at the same endpoint.
 */
export interface ServiceSpec {
  targetPrefix: string;
  contentType: string;
  signingName: string;
}

export const SERVICES = {
  ecs: { targetPrefix: 'AmazonEC2ContainerServiceV20141113', contentType: 'application/x-amz-json-1.1', signingName: 'ecs' },
  /** Stevedore's own operations (what AWS has no API for): signed as ecs, like the CLI signs them. */
  stevedore: { targetPrefix: 'Stevedore_20261125', contentType: 'application/x-amz-json-1.1', signingName: 'ecs' },
  logs: { targetPrefix: 'Logs_20140328', contentType: 'application/x-amz-json-1.1', signingName: 'logs' },
  autoscaling: { targetPrefix: 'AnyScaleFrontendService', contentType: 'application/x-amz-json-1.1', signingName: 'application-autoscaling' },
  cloudwatch: { targetPrefix: 'GraniteServiceVersion20100801', contentType: 'application/x-amz-json-1.0', signingName: 'monitoring' },
  elbv2: { targetPrefix: 'ElasticLoadBalancingV2_20151201', contentType: 'application/x-amz-json-1.0', signingName: 'elasticloadbalancing' },
  secretsmanager: { targetPrefix: 'secretsmanager', contentType: 'application/x-amz-json-1.1', signingName: 'secretsmanager' },
} as const satisfies Record<string, ServiceSpec>;

export type ServiceName = keyof typeof SERVICES;
