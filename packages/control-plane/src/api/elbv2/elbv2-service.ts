import type { Action } from '../context';
import type { QueryService } from '../protocols/query';
import { shapeOf, type ServiceModel, type ShapeRef } from '../protocols/service-model';
import * as loadBalancers from '../actions/load-balancers';
import * as targetGroups from '../actions/target-groups';
import * as listeners from '../actions/listeners';
import * as targets from '../actions/targets';
import * as tags from '../actions/elb-tags';
import * as lbAttributes from '../actions/load-balancer-attributes';
import * as sslPolicies from '../actions/ssl-policies';
import { ELBV2_MODEL } from './elbv2-model';

/**
 * Elastic Load Balancing v2 in its own protocol (AWS Query, API version
 * 2015-12-01, signed for `elasticloadbalancing`), so `aws elbv2` and the
 * ELBv2 SDK work unchanged. The same actions serve Stevedore's JSON form
 * (router.ts, `Stevedore_20261125.*`, used by our CLI): one implementation,
 * two wire forms. Actions return the JSON form's values; the only wire
 * difference they carry is time: the JSON protocol's timestamps are epoch
 * seconds, which become dates here for the XML encoder.
 */
export const ELBV2_OPERATIONS: ReadonlyMap<string, Action> = new Map<string, Action>([
  ['CreateLoadBalancer', loadBalancers.createLoadBalancer],
  ['DescribeLoadBalancers', loadBalancers.describeLoadBalancers],
  ['DeleteLoadBalancer', loadBalancers.deleteLoadBalancer],
  ['DescribeLoadBalancerAttributes', lbAttributes.describeLoadBalancerAttributes],
  ['ModifyLoadBalancerAttributes', lbAttributes.modifyLoadBalancerAttributes],
  ['CreateTargetGroup', targetGroups.createTargetGroup],
  ['ModifyTargetGroup', targetGroups.modifyTargetGroup],
  ['DescribeTargetGroups', targetGroups.describeTargetGroups],
  ['DeleteTargetGroup', targetGroups.deleteTargetGroup],
  ['DescribeTargetGroupAttributes', targetGroups.describeTargetGroupAttributes],
  ['ModifyTargetGroupAttributes', targetGroups.modifyTargetGroupAttributes],
  ['CreateListener', listeners.createListener],
  ['DescribeListeners', listeners.describeListeners],
  ['ModifyListener', listeners.modifyListener],
  ['DeleteListener', listeners.deleteListener],
  ['CreateRule', listeners.createRule],
  ['DescribeRules', listeners.describeRules],
  ['ModifyRule', listeners.modifyRule],
  ['SetRulePriorities', listeners.setRulePriorities],
  ['DeleteRule', listeners.deleteRule],
  ['RegisterTargets', targets.registerTargets],
  ['DeregisterTargets', targets.deregisterTargets],
  ['DescribeTargetHealth', targets.describeTargetHealth],
  ['AddTags', tags.addTags],
  ['RemoveTags', tags.removeTags],
  ['DescribeTags', tags.describeTags],
  ['DescribeSSLPolicies', sslPolicies.describeSslPolicies],
  ['AddListenerCertificates', listeners.addListenerCertificates],
  ['RemoveListenerCertificates', listeners.removeListenerCertificates],
  ['DescribeListenerCertificates', listeners.describeListenerCertificates],
]);

/** The JSON form's epoch-second timestamps, wherever the output shape has a timestamp, as Dates. */
export function jsonTimestampsToDates(model: ServiceModel, ref: ShapeRef, value: unknown): unknown {
  const shape = shapeOf(model, ref.shape);
  if (value === null || value === undefined) return value;
  switch (shape.type) {
    case 'timestamp':
      return typeof value === 'number' ? new Date(value * 1000) : value;
    case 'structure': {
      if (typeof value !== 'object' || Array.isArray(value)) return value;
      const out: Record<string, unknown> = { ...(value as Record<string, unknown>) };
      for (const [member, mref] of Object.entries(shape.members ?? {})) {
        if (Object.prototype.hasOwnProperty.call(out, member)) out[member] = jsonTimestampsToDates(model, mref, out[member]);
      }
      return out;
    }
    case 'list':
      return Array.isArray(value) ? value.map((v) => jsonTimestampsToDates(model, shape.member!, v)) : value;
    default:
      return value;
  }
}

function queryAction(op: string, action: Action): Action {
  const output = ELBV2_MODEL.operations[op]?.output;
  return async (ctx, body) => {
    const result = await action(ctx, body);
    return output ? jsonTimestampsToDates(ELBV2_MODEL, output, result) : result;
  };
}

export const ELBV2_SERVICE: QueryService = {
  model: ELBV2_MODEL,
  // ELBv2 has no JSON protocol; its operations are named `ElasticLoadBalancingV2_20151201.Op` to auth and audit.
  targetPrefix: 'ElasticLoadBalancingV2_20151201',
  actions: new Map([...ELBV2_OPERATIONS].map(([op, a]) => [op, queryAction(op, a)])),
};
