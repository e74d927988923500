import { StevedoreError, type ArnContext } from '@stevedore/core';
import type { ApiContext } from './api/context';
import type { ApiAuth, Principal } from './api/auth/api-auth';
import { BUILT_IN_ROLES, type PolicyDocument } from './api/auth/policy';
import { roleResource } from './api/launch-authorization';
import { dispatch, ECS_TARGET_PREFIX } from './api/router';
import type { LaunchAs, LaunchResult } from './schedules/schedule-runner';

/**
 * How the schedule runner launches: through the API's own RunTask (the
 * same validation, placement, capacity providers and idempotency), as the
 * schedule's role, the way EventBridge Scheduler assumes Target.RoleArn.
 * The role's policy must allow ecs:RunTask on the cluster, and RunTask's
 * authorization at use checks what the task passes (iam:PassRole on its
 * roles, its secrets) against the same policy. Composition, beside
 * control-plane.ts: the runner never imports the API.
 */
export function scheduleLauncher(apiCtx: ApiContext, auth: ApiAuth, arn: ArnContext): LaunchAs {
  return async (roleArn, sessionName, body) => {
    const principal = schedulePrincipal(apiCtx, arn, roleArn, sessionName);
    const target = `${ECS_TARGET_PREFIX}RunTask`;
    auth.authorize(principal, target, body);
    return (await dispatch(apiCtx, principal, target, body)) as LaunchResult;
  };
}

function schedulePrincipal(ctx: ApiContext, arn: ArnContext, roleArn: string, sessionName: string): Principal {
  const resource = roleResource(roleArn, arn);
  const name = resource.split('/').pop() ?? '';
  const policy = (BUILT_IN_ROLES.get(name)?.policyDocument ?? (ctx.store.iam.getRole(name)?.policyDocument as PolicyDocument | undefined));
  if (resource === '*' || !policy) throw new StevedoreError('AccessDeniedException', `The schedule's role ${roleArn} does not exist.`, { field: 'Target.RoleArn' });
  // As STS names an assumed role's session; the access key id names the scheduler in audit lines.
  return { accessKeyId: 'SCHEDULER', roleName: name, arn: `arn:aws:sts::${arn.account}:assumed-role/${name}/${sessionName.slice(0, 64)}`, policy };
}
