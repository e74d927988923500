import { awslogsConfigOf, parseValueFrom, type ArnContext, type Service, type TaskDefinition, type TaskOverride } from '@stevedore/core';
import type { RequestContext } from './context';
import { accessDenied, evaluate, type Decision, type PolicyDocument } from './auth/policy';
import { ANY_RESOURCE, secretResource, type ResourceLookups } from './auth/operation-resources';

/**
 * Authorization at use. Starting a task hands it the secrets its definition
 * names and the roles it runs as, so whoever starts it (RunTask, StartTask,
 * CreateService, UpdateService) must be allowed to read those secrets and
 * pass those roles, as in AWS: `secretsmanager:GetSecretValue` on each
 * secret (`ssm:GetParameters` on a parameter) and `iam:PassRole` on the
 * execution and task roles. Otherwise a key that may register a task
 * definition and run it could read any secret by proxy. Likewise awslogs: a
 * task writes into the log group its definition names (and creates it with
 * awslogs-create-group), so its starter needs `logs:CreateLogStream` and
 * `logs:PutLogEvents` on that group (`logs:CreateLogGroup` too with
 * create-group), what ECS asks of the execution role; otherwise any
 * deployer could write lines into another team's group.
 */

/** One permission a launch needs, and the request field that needs it. */
export interface LaunchPermission {
  action: 'secretsmanager:GetSecretValue' | 'ssm:GetParameters' | 'iam:PassRole' | 'logs:CreateLogGroup' | 'logs:CreateLogStream' | 'logs:PutLogEvents';
  resource: string;
  field: string;
}

const ROLE_ARN = /^arn:aws[a-z-]*:iam::[^:/]*:role\/((?:[\w+=,.@-]{1,512}\/)*[\w+=,.@-]{1,64})$/;
const ROLE_NAME = /^[\w+=,.@-]{1,64}$/;
const PARAMETER_NAME = /^[A-Za-z0-9_.\-/]{1,2048}$/;

/**
 * A role reference (ARN or, as ECS accepts, a name) as the PassRole
 * resource: the role of that path and name in this account. The account of
 * a given ARN is not trusted, as for secrets: a Deny on this account's role
 * must not be sidestepped by naming it under another account. Anything
 * unreadable is "*", which only a grant on every resource covers.
 */
export function roleResource(ref: string, arn: ArnContext): string {
  const m = ROLE_ARN.exec(ref);
  const pathAndName = m ? m[1]! : ROLE_NAME.test(ref) ? ref : undefined;
  return pathAndName === undefined ? ANY_RESOURCE : `arn:aws:iam::${arn.account}:role/${pathAndName}`;
}

function referencePermission(valueFrom: string, arn: ArnContext, lookups: ResourceLookups): Omit<LaunchPermission, 'field'> {
  const ref = parseValueFrom(valueFrom);
  if ('error' in ref) return { action: 'secretsmanager:GetSecretValue', resource: ANY_RESOURCE };
  if (ref.kind === 'ssm') {
    // Secret delivery does not serve parameters yet (the task would fail to start), but the
    // permission is the one AWS asks for, so a policy written today stays right when it does.
    return { action: 'ssm:GetParameters', resource: PARAMETER_NAME.test(ref.name) ? `arn:aws:ssm:${arn.region}:${arn.account}:parameter/${ref.name}` : ANY_RESOURCE };
  }
  return { action: 'secretsmanager:GetSecretValue', resource: secretResource(ref.id, arn, lookups) };
}

/**
 * Every permission starting `td` with `overrides` needs, each once, roles
 * first, then secrets in definition order. Overrides of a role replace the
 * definition's. `lookups` resolves a secret name to the stored secret's ARN
 * exactly as delivery does, so the secret checked is the secret delivered.
 */
export function launchPermissions(
  td: Pick<TaskDefinition, 'containerDefinitions' | 'taskRoleArn' | 'executionRoleArn'>,
  overrides: TaskOverride,
  arn: ArnContext,
  lookups: ResourceLookups,
): LaunchPermission[] {
  const out: LaunchPermission[] = [];
  const seen = new Set<string>();
  const add = (p: Omit<LaunchPermission, 'field'>, field: string) => {
    const key = `${p.action} ${p.resource}`;
    if (seen.has(key)) return;
    seen.add(key);
    out.push({ ...p, field });
  };
  for (const key of ['executionRoleArn', 'taskRoleArn'] as const) {
    const override = overrides[key];
    const ref = override ?? td[key];
    if (ref !== undefined) add({ action: 'iam:PassRole', resource: roleResource(ref, arn) }, override !== undefined ? `overrides.${key}` : key);
  }
  td.containerDefinitions.forEach((c, i) => {
    const at = `containerDefinitions[${i}]`;
    c.secrets?.forEach((s, j) => add(referencePermission(s.valueFrom, arn, lookups), `${at}.secrets[${j}].valueFrom`));
    // A RunTask override replaces the container's files: the files delivered are the files checked.
    const override = (overrides.containerOverrides ?? []).find((o) => o.name === c.name) as { environmentFiles?: { value: string }[] } | undefined;
    const files = override?.environmentFiles ?? c.environmentFiles;
    const filesAt = override?.environmentFiles ? `overrides.containerOverrides.${c.name}.environmentFiles` : `${at}.environmentFiles`;
    files?.forEach((f, j) => add(referencePermission(f.value, arn, lookups), `${filesAt}[${j}].value`));
    c.logConfiguration?.secretOptions?.forEach((s, j) => add(referencePermission(s.valueFrom, arn, lookups), `${at}.logConfiguration.secretOptions[${j}].valueFrom`));
    const credentials = c.repositoryCredentials?.credentialsParameter;
    if (credentials !== undefined) add(referencePermission(credentials, arn, lookups), `${at}.repositoryCredentials.credentialsParameter`);
  });
  td.containerDefinitions.forEach((c, i) => {
    const logs = awslogsConfigOf(c.logConfiguration);
    if (!logs) return;
    const group = `arn:aws:logs:${arn.region}:${arn.account}:log-group:${logs.group}`;
    const field = `containerDefinitions[${i}].logConfiguration.options.awslogs-group`;
    if (logs.createGroup) add({ action: 'logs:CreateLogGroup', resource: group }, field);
    add({ action: 'logs:CreateLogStream', resource: group }, field);
    add({ action: 'logs:PutLogEvents', resource: `${group}:log-stream:*` }, field);
  });
  return out;
}

/** The first permission `policy` does not grant, with IAM's decision, or undefined when it grants them all. */
export function firstDenied(policy: PolicyDocument, permissions: readonly LaunchPermission[]): { permission: LaunchPermission; decision: Exclude<Decision, 'allow'> } | undefined {
  for (const permission of permissions) {
    const decision = evaluate(policy, permission.action, permission.resource);
    if (decision !== 'allow') return { permission, decision };
  }
  return undefined;
}

/**
 * Throws AccessDeniedException, in IAM's wording naming the action and the
 * secret or role, unless the caller may do all a launch of `td` needs.
 * Called before anything is written, so a refused launch creates nothing.
 */
export function authorizeLaunch(ctx: RequestContext, td: TaskDefinition, overrides: TaskOverride = {}): void {
  const lookups: ResourceLookups = { secretArn: (id) => ctx.store.secrets.find(id)?.arn };
  const denied = firstDenied(ctx.caller.policy, launchPermissions(td, overrides, ctx.arn, lookups));
  if (!denied) return;
  const { permission: p, decision } = denied;
  ctx.log.warn({ role: ctx.caller.roleName, action: p.action, resource: p.resource, field: p.field, taskDefinition: td.taskDefinitionArn }, 'launch refused');
  throw accessDenied(ctx.caller.arn, p.action, p.resource, decision, p.field);
}

/**
 * UpdateService: a service launches with the authorization of the caller who
 * created it or last updated it, so an update that can start tasks (a new
 * deployment: new revision, forceNewDeployment, new load balancers; or a
 * higher desiredCount) is checked against what the service runs after it.
 * An update that starts nothing (scaling down, tuning the deployment
 * configuration) is not: stopping what was once allowed must stay possible.
 */
export function authorizeServiceUpdate(ctx: RequestContext, td: TaskDefinition, current: Service, next: Service): void {
  const newDeployment = next.deployments[0]?.id !== current.deployments[0]?.id;
  if (newDeployment || next.desiredCount > current.desiredCount) authorizeLaunch(ctx, td);
}
