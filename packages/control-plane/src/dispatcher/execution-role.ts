import { denialMessage, ECS_SERVICE_LINKED_POLICY, ECS_SERVICE_LINKED_ROLE, evaluate, roleNameOf, type ArnContext, type PolicyDocument } from '@stevedore/core';
import type { Store } from '../store/store';
import { serviceLinkedDecision } from '../store/service-linked-view';

/**
 * The task execution role as the agent acts under it: what reads the task's
 * secrets, environment files and registry credentials, and writes its
 * awslogs lines. As in ECS, those reads and writes are authorized against
 * this role's policy at the moment they happen (each assignment the agent
 * receives, each log batch it ships), not only against whoever launched the
 * task: a role narrowed after launch applies to the next fetch.
 */
export interface ExecutionRole {
  roleArn: string;
  /** The session the agent acts as, as CloudTrail would show it: assumed-role/<role>/<task id>. */
  principalArn: string;
  policy: PolicyDocument;
}

/**
 * The execution role a task names (overrides applied), or why it cannot be
 * assumed. Only roles created with `iam create-role` (never the built-in
 * admin or read-only roles), and only while the ECS service-linked role may
 * assume them, exactly as for task roles.
 */
export function executionRoleOf(store: Store, arn: ArnContext, ref: string, taskId: string): ExecutionRole | { error: string } {
  const roleName = roleNameOf(ref);
  const role = roleName === undefined ? undefined : store.iam.getRole(roleName);
  if (!role || roleName === undefined) return { error: `unable to assume the task execution role ${ref}: no such role (create it with stevedore iam create-role)` };
  const roleArn = `arn:aws:iam::${arn.account}:role/${roleName}`;
  if (serviceLinkedDecision(store, ECS_SERVICE_LINKED_ROLE, ECS_SERVICE_LINKED_POLICY, 'sts:AssumeRole', roleArn) !== 'allow') return { error: `unable to assume the task execution role ${roleArn}: ${ECS_SERVICE_LINKED_ROLE} may not assume it` };
  return { roleArn, principalArn: `arn:aws:sts::${arn.account}:assumed-role/${roleName}/${taskId}`, policy: role.policyDocument as PolicyDocument };
}

/** IAM's AccessDeniedException text when the role may not do `action` on `resource`, else undefined. */
export function executionRoleDenial(role: ExecutionRole, action: string, resource: string): string | undefined {
  const decision = evaluate(role.policy, action, resource);
  return decision === 'allow' ? undefined : `AccessDeniedException: ${denialMessage(role.principalArn, action, resource, decision)}`;
}
