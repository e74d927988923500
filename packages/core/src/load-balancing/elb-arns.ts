import { randomBytes } from 'node:crypto';
import type { ArnContext } from '../arn';
import type { LoadBalancerType } from '../model/load-balancer';

/**
 * ELBv2 ARNs, in AWS's formats so tools that parse them keep working:
 *   loadbalancer/app|net|gwy/<name>/<id>
 *   targetgroup/<name>/<id>
 *   listener/app|net/<lb-name>/<lb-id>/<id>
 *   listener-rule/app|net/<lb-name>/<lb-id>/<listener-id>/<id>
 */
const prefix = (c: ArnContext) => `arn:aws:elasticloadbalancing:${c.region}:${c.account}`;
const kind = (t: LoadBalancerType) => (t === 'application' ? 'app' : t === 'gateway' ? 'gwy' : 'net');

/** 16 hex characters, ELB's id format. */
export function newElbId(): string {
  return randomBytes(8).toString('hex');
}

export const elbArns = {
  loadBalancer: (c: ArnContext, type: LoadBalancerType, name: string, id = newElbId()) => `${prefix(c)}:loadbalancer/${kind(type)}/${name}/${id}`,
  targetGroup: (c: ArnContext, name: string, id = newElbId()) => `${prefix(c)}:targetgroup/${name}/${id}`,
  /** Listener and rule ARNs hang below their load balancer's `app|net/<name>/<id>` path. */
  listener: (loadBalancerArn: string, id = newElbId()) => loadBalancerArn.replace(':loadbalancer/', ':listener/') + `/${id}`,
  rule: (listenerArn: string, id = newElbId()) => listenerArn.replace(':listener/', ':listener-rule/') + `/${id}`,
};

const ELB_ARN = /^arn:aws[a-z-]*:elasticloadbalancing:[^:]*:[^:]*:(loadbalancer|targetgroup|listener|listener-rule)\/(.+)$/;

export type ElbResourceType = 'loadbalancer' | 'targetgroup' | 'listener' | 'listener-rule';

export function elbResourceType(arn: string): ElbResourceType | undefined {
  const m = ELB_ARN.exec(arn);
  return m ? (m[1] as ElbResourceType) : undefined;
}

/** The `<name>` part of a load balancer or target group ARN. */
export function elbNameOf(arn: string): string | undefined {
  const m = ELB_ARN.exec(arn);
  if (!m) return undefined;
  const parts = m[2]!.split('/');
  return m[1] === 'targetgroup' ? parts[0] : parts[1];
}

/**
 * ELB names: at most 32 alphanumeric characters or hyphens, not starting or
 * ending with a hyphen (load balancer names also not starting with `internal-`).
 */
export const ELB_NAME = /^(?!-)[A-Za-z0-9-]{1,32}(?<!-)$/;
export const ELB_NAME_TEXT = 'can have a maximum of 32 characters, must contain only alphanumeric characters or hyphens, and must not begin or end with a hyphen';
