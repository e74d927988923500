import { evaluateBounded, type Decision, type PolicyDocument } from '@stevedore/core';
import type { Store } from './store';

/**
 * What a Stevedore component may do under its service-linked role right
 * now: the built-in policy, narrowed by the boundary an operator put on the
 * role (PutRolePermissionsBoundary), read at each decision so a narrowing
 * applies at once. Shared by the roles that act under those identities
 * (dispatcher, load balancer role).
 */
export function serviceLinkedDecision(store: Store, roleName: string, policy: PolicyDocument, action: string, resource: string): Decision {
  return evaluateBounded(policy, store.iam.getBoundary(roleName) as PolicyDocument | undefined, action, resource);
}
