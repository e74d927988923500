import { isStevedoreError, StevedoreError } from '@stevedore/core';
import type { Action, ApiContext, RequestContext } from './context';
import type { Principal } from './auth/api-auth';
import { actionOf, resourcesOf } from './auth/operation-resources';
import * as clusters from './actions/clusters';
import * as taskDefinitions from './actions/task-definitions';
import * as instances from './actions/container-instances';
import * as runTask from './actions/run-task';
import * as tasks from './actions/tasks';
import * as logs from './actions/logs';
import * as joinTokens from './actions/join-tokens';
import * as secrets from './actions/secrets';
import * as iam from './actions/iam';
import * as services from './actions/services';
import * as attributes from './actions/attributes';
import * as serviceDeployments from './actions/service-deployments';
import * as accountSettings from './actions/account-settings';
import * as tags from './actions/tags';
import { executeCommand } from './actions/execute-command';
import type { QueryService } from './protocols/query';
import { CLOUDWATCH_SERVICE } from './cloudwatch/cloudwatch-service';
import { APPLICATION_AUTOSCALING_ACTIONS } from './application-autoscaling';
import * as hostGroups from './actions/host-groups';
import * as capacityProviders from './actions/capacity-providers';
import { TASK_PROTECTION_ACTIONS } from './actions/task-protection';
import { ELBV2_OPERATIONS, ELBV2_SERVICE } from './elbv2/elbv2-service';
import * as spot from './actions/spot';
import { LOGS_ACTIONS } from './logs-operations';
import { ACM_ACTIONS } from './acm/acm-actions';
import { FILE_SYSTEM_ACTIONS } from './actions/file-systems';
import { listScheduleRuns } from './actions/schedule-runs';
import type { RestJsonService } from './protocols/rest-json';
import { SCHEDULER_SERVICE } from './scheduler/scheduler-service';
import * as consoleSessions from './actions/console-sessions';

export const ECS_TARGET_PREFIX = 'AmazonEC2ContainerServiceV20141113.';
export const STEVEDORE_TARGET_PREFIX = 'Stevedore_20261125.';
export const SECRETS_MANAGER_TARGET_PREFIX = 'secretsmanager.';

/** X-Amz-Target -> action. One table, so the API surface is visible at a glance. */
export const ACTIONS: Record<string, Action> = {
  [`${ECS_TARGET_PREFIX}CreateCluster`]: clusters.createCluster,
  [`${ECS_TARGET_PREFIX}DescribeClusters`]: clusters.describeClusters,
  [`${ECS_TARGET_PREFIX}ListClusters`]: clusters.listClusters,
  [`${ECS_TARGET_PREFIX}DeleteCluster`]: clusters.deleteCluster,
  [`${ECS_TARGET_PREFIX}UpdateClusterSettings`]: clusters.updateClusterSettings,
  [`${ECS_TARGET_PREFIX}UpdateCluster`]: clusters.updateCluster,
  [`${ECS_TARGET_PREFIX}RegisterTaskDefinition`]: taskDefinitions.registerTaskDefinition,
  [`${ECS_TARGET_PREFIX}DescribeTaskDefinition`]: taskDefinitions.describeTaskDefinition,
  [`${ECS_TARGET_PREFIX}ListTaskDefinitions`]: taskDefinitions.listTaskDefinitions,
  [`${ECS_TARGET_PREFIX}ListTaskDefinitionFamilies`]: taskDefinitions.listTaskDefinitionFamilies,
  [`${ECS_TARGET_PREFIX}DeregisterTaskDefinition`]: taskDefinitions.deregisterTaskDefinition,
  [`${ECS_TARGET_PREFIX}DeleteTaskDefinitions`]: taskDefinitions.deleteTaskDefinitions,
  [`${ECS_TARGET_PREFIX}ListContainerInstances`]: instances.listContainerInstances,
  [`${ECS_TARGET_PREFIX}DescribeContainerInstances`]: instances.describeContainerInstances,
  [`${ECS_TARGET_PREFIX}DeregisterContainerInstance`]: instances.deregisterContainerInstance,
  [`${ECS_TARGET_PREFIX}RunTask`]: runTask.runTask,
  [`${ECS_TARGET_PREFIX}StartTask`]: runTask.startTask,
  [`${ECS_TARGET_PREFIX}StopTask`]: tasks.stopTask,
  [`${ECS_TARGET_PREFIX}DescribeTasks`]: tasks.describeTasks,
  [`${ECS_TARGET_PREFIX}ListTasks`]: tasks.listTasks,
  [`${ECS_TARGET_PREFIX}CreateService`]: services.createService,
  [`${ECS_TARGET_PREFIX}UpdateService`]: services.updateService,
  [`${ECS_TARGET_PREFIX}DeleteService`]: services.deleteService,
  [`${ECS_TARGET_PREFIX}DescribeServices`]: services.describeServices,
  [`${ECS_TARGET_PREFIX}ListServices`]: services.listServices,
  [`${ECS_TARGET_PREFIX}ListServiceDeployments`]: serviceDeployments.listServiceDeployments,
  [`${ECS_TARGET_PREFIX}DescribeServiceDeployments`]: serviceDeployments.describeServiceDeployments,
  [`${ECS_TARGET_PREFIX}DescribeServiceRevisions`]: serviceDeployments.describeServiceRevisions,
  [`${ECS_TARGET_PREFIX}DescribeTaskSets`]: serviceDeployments.describeTaskSets,
  [`${ECS_TARGET_PREFIX}PutAccountSetting`]: accountSettings.putAccountSetting,
  [`${ECS_TARGET_PREFIX}PutAccountSettingDefault`]: accountSettings.putAccountSettingDefault,
  [`${ECS_TARGET_PREFIX}ListAccountSettings`]: accountSettings.listAccountSettings,
  [`${ECS_TARGET_PREFIX}DeleteAccountSetting`]: accountSettings.deleteAccountSetting,
  [`${ECS_TARGET_PREFIX}PutAttributes`]: attributes.putAttributes,
  [`${ECS_TARGET_PREFIX}DeleteAttributes`]: attributes.deleteAttributes,
  [`${ECS_TARGET_PREFIX}ListAttributes`]: attributes.listAttributes,
  [`${ECS_TARGET_PREFIX}UpdateContainerInstancesState`]: attributes.updateContainerInstancesState,
  [`${ECS_TARGET_PREFIX}ExecuteCommand`]: executeCommand,
  [`${ECS_TARGET_PREFIX}TagResource`]: tags.tagResource,
  [`${ECS_TARGET_PREFIX}UntagResource`]: tags.untagResource,
  [`${ECS_TARGET_PREFIX}ListTagsForResource`]: tags.listTagsForResource,
  [`${STEVEDORE_TARGET_PREFIX}GetTaskLogs`]: logs.getTaskLogs,
  [`${STEVEDORE_TARGET_PREFIX}CreateJoinToken`]: joinTokens.createJoinToken,
  [`${STEVEDORE_TARGET_PREFIX}ListJoinTokens`]: joinTokens.listJoinTokens,
  [`${STEVEDORE_TARGET_PREFIX}RevokeJoinToken`]: joinTokens.revokeJoinToken,
  [`${SECRETS_MANAGER_TARGET_PREFIX}CreateSecret`]: secrets.createSecret,
  [`${SECRETS_MANAGER_TARGET_PREFIX}PutSecretValue`]: secrets.putSecretValue,
  [`${SECRETS_MANAGER_TARGET_PREFIX}GetSecretValue`]: secrets.getSecretValue,
  [`${SECRETS_MANAGER_TARGET_PREFIX}DescribeSecret`]: secrets.describeSecret,
  [`${SECRETS_MANAGER_TARGET_PREFIX}ListSecrets`]: secrets.listSecrets,
  [`${SECRETS_MANAGER_TARGET_PREFIX}DeleteSecret`]: secrets.deleteSecret,
  [`${STEVEDORE_TARGET_PREFIX}CreateAccessKey`]: iam.createAccessKey,
  [`${STEVEDORE_TARGET_PREFIX}ListAccessKeys`]: iam.listAccessKeys,
  [`${STEVEDORE_TARGET_PREFIX}DeleteAccessKey`]: iam.deleteAccessKey,
  [`${STEVEDORE_TARGET_PREFIX}CreateRole`]: iam.createRole,
  [`${STEVEDORE_TARGET_PREFIX}ListRoles`]: iam.listRoles,
  [`${STEVEDORE_TARGET_PREFIX}DeleteRole`]: iam.deleteRole,
  [`${STEVEDORE_TARGET_PREFIX}PutRolePermissionsBoundary`]: iam.putRolePermissionsBoundary,
  [`${STEVEDORE_TARGET_PREFIX}DeleteRolePermissionsBoundary`]: iam.deleteRolePermissionsBoundary,
  // Load balancers: ELBv2's operations and shapes under the Stevedore target too (our CLI), from the
  // same actions as ELBv2's own Query protocol (elbv2/elbv2-service.ts).
  ...Object.fromEntries([...ELBV2_OPERATIONS].map(([op, action]) => [`${STEVEDORE_TARGET_PREFIX}${op}`, action])),
  ...APPLICATION_AUTOSCALING_ACTIONS,
  ...hostGroups.HOST_GROUP_ACTIONS,
  ...capacityProviders.CAPACITY_PROVIDER_ACTIONS,
  ...TASK_PROTECTION_ACTIONS,
  [`${STEVEDORE_TARGET_PREFIX}InterruptSpotTasks`]: spot.interruptSpotTasks,
  [`${STEVEDORE_TARGET_PREFIX}GetConsoleSigninToken`]: consoleSessions.getConsoleSigninToken,
  [`${STEVEDORE_TARGET_PREFIX}GetCallerPermissions`]: consoleSessions.getCallerPermissions,
  ...LOGS_ACTIONS,
  ...ACM_ACTIONS,
  ...FILE_SYSTEM_ACTIONS,
  [`${STEVEDORE_TARGET_PREFIX}ListScheduleRuns`]: listScheduleRuns,
};

/** Services served in the AWS Query protocol (form in, XML out), each with its model and operation table. */
export const QUERY_SERVICES: readonly QueryService[] = [CLOUDWATCH_SERVICE, ELBV2_SERVICE];

/** Services served in AWS REST-JSON (method and path routes from their models). */
export const REST_JSON_SERVICES: readonly RestJsonService[] = [SCHEDULER_SERVICE];

/** ACTIONS as a Map: the target is request input, and `constructor` or `__proto__` must find nothing. */
const ACTION_BY_TARGET: ReadonlyMap<string, Action> = new Map(Object.entries(ACTIONS));

/** The action of an X-Amz-Target, or UnknownOperationException. */
export function actionFor(target: string): Action {
  const action = ACTION_BY_TARGET.get(target);
  if (!action) throw new StevedoreError('UnknownOperationException', target ? `Unknown operation ${target}.` : 'Missing X-Amz-Target header.');
  return action;
}

/** Reads that are audited like changes: a secret's value leaves the control plane; a console sign-in token is a credential. */
const AUDITED_READS = new Set(['secretsmanager:GetSecretValue', 'stevedore:GetConsoleSigninToken']);
/** Data, not configuration: an application's log lines would drown the audit log. */
const UNAUDITED_WRITES = new Set(['logs:PutLogEvents']);

function audited(action: string): boolean {
  const op = action.slice(action.indexOf(':') + 1);
  return AUDITED_READS.has(action) || (!UNAUDITED_WRITES.has(action) && !/^(Describe|List|Get|Filter)/.test(op));
}

/**
 * Runs an authenticated, authorized request: the caller goes into the
 * request's context (actions never find it in a global), every log line of
 * the action names its access key id, and each call that changes something
 * (or reads a secret value) leaves one audit line, `api call` at info, with
 * the caller, the operation, the resources it names (ARNs, from the same
 * table authorization reads) and the outcome. Never the body: it may carry
 * secret values. Query-protocol requests pass their service's action, with
 * a target named like an X-Amz-Target (protocols/query.ts).
 */
export async function dispatch(ctx: ApiContext, caller: Principal, target: string, body: unknown, action: Action = actionFor(target)): Promise<unknown> {
  const log = ctx.log.child({ accessKeyId: caller.accessKeyId });
  const req: RequestContext = { ...ctx, log, caller };
  const name = actionOf(target) ?? target;
  if (!audited(name)) return action(req, body);
  const audit = { audit: true, action: name, principal: caller.arn, role: caller.roleName, resources: resourcesOf(name, body, ctx.arn) };
  try {
    const result = await action(req, body);
    log.info({ ...audit, outcome: 'ok' }, 'api call');
    return result;
  } catch (e) {
    log.info({ ...audit, outcome: 'error', error: isStevedoreError(e) ? e.code : 'ServerException' }, 'api call');
    throw e;
  }
}
