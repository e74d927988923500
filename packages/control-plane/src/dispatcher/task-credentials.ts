import { randomBytes } from 'node:crypto';
import { arns, ECS_SERVICE_LINKED_POLICY, ECS_SERVICE_LINKED_ROLE, roleNameOf, type ArnContext } from '@stevedore/core';
import { grpc, type GetTaskCredentialsRequest, type GetTaskCredentialsResponse } from '@stevedore/proto';
import type { Store } from '../store/store';
import { serviceLinkedDecision } from '../store/service-linked-view';
import type { TaskRoleType } from '../store/task-credentials-repo';
import { buildAssignment } from './assignment-set';
import { grpcError } from './grpc-errors';
import { newTemporaryKeyId } from '../store/task-credentials-repo';

export { newTemporaryKeyId };

/** AWS's bound on role session credentials served to tasks. */
export const MAX_TASK_CREDENTIALS_TTL_MS = 6 * 3600_000;
export const DEFAULT_TASK_CREDENTIALS_TTL_MS = 3600_000;

/**
 * GetTaskCredentials (proto contract): a new temporary key for one role of a
 * task of the caller's own instance, while the task should run. Throws gRPC
 * errors whose details the agent shows in the task's stoppedReason.
 */
export function issueTaskCredentials(store: Store, arn: ArnContext, instanceId: string, req: GetTaskCredentialsRequest, ttlMs: number): GetTaskCredentialsResponse {
  const roleType: TaskRoleType | undefined = req.role_type === 'TaskApplication' || req.role_type === 'TaskExecution' ? req.role_type : undefined;
  if (!roleType) throw grpcError(grpc.status.INVALID_ARGUMENT, `role_type must be TaskApplication or TaskExecution, not ${JSON.stringify(String(req.role_type).slice(0, 40))}`);
  const taskArn = String(req.task_arn ?? '');
  const taskId = taskArn.slice(taskArn.lastIndexOf('/') + 1);
  return store.tx(() => {
    const task = taskId ? store.tasks.get(taskId) : undefined;
    if (!task || arns.task(arn, task.clusterName, task.id) !== taskArn) throw grpcError(grpc.status.NOT_FOUND, `unknown task ${taskArn.slice(0, 200)}`);
    // Never another host's task: credentials are as good as the role.
    if (task.containerInstanceId !== instanceId) throw grpcError(grpc.status.PERMISSION_DENIED, `task ${task.id} is not assigned to instance ${instanceId}`);
    if (task.desiredStatus !== 'RUNNING' || task.lastStatus === 'STOPPED') throw grpcError(grpc.status.FAILED_PRECONDITION, `task ${task.id} is stopping or stopped: no credentials`);
    const td = store.taskDefinitions.get(task.family, task.revision);
    if (!td) throw grpcError(grpc.status.NOT_FOUND, `task definition ${task.taskDefinitionArn} not found`);
    const a = buildAssignment(arn, task, td.taskDefinition);
    const field = roleType === 'TaskApplication' ? 'taskRoleArn' : 'executionRoleArn';
    const ref = a[field];
    if (ref === undefined) throw grpcError(grpc.status.FAILED_PRECONDITION, `the task has no ${field}`);
    const roleName = roleNameOf(ref);
    // Only roles created with `iam create-role`: the built-in admin role is never handed to a container.
    const role = roleName === undefined ? undefined : store.iam.getRole(roleName);
    if (!role || roleName === undefined) throw grpcError(grpc.status.FAILED_PRECONDITION, `${field} ${ref}: no such role (create it with stevedore iam create-role)`);
    // The control plane acts under its ECS service-linked role here: its policy must allow assuming the role.
    const roleArn = `arn:aws:iam::${arn.account}:role/${roleName}`;
    if (serviceLinkedDecision(store, ECS_SERVICE_LINKED_ROLE, ECS_SERVICE_LINKED_POLICY, 'sts:AssumeRole', roleArn) !== 'allow') {
      throw grpcError(grpc.status.PERMISSION_DENIED, `${ECS_SERVICE_LINKED_ROLE} may not assume ${roleArn}`);
    }
    const now = store.clock.now();
    const accessKeyId = newTemporaryKeyId();
    const secretAccessKey = randomBytes(30).toString('base64');
    // Opaque, like STS session tokens; only its hash is stored.
    const sessionToken = `SVDR${randomBytes(48).toString('base64')}`;
    const expiresAt = now + Math.min(ttlMs, MAX_TASK_CREDENTIALS_TTL_MS);
    store.taskCredentials.insert({ accessKeyId, taskArn, taskId: task.id, instanceId, roleType, roleName, expiresAt, createdAt: now }, secretAccessKey, sessionToken);
    return {
      role_arn: roleArn,
      access_key_id: accessKeyId,
      secret_access_key: secretAccessKey,
      session_token: sessionToken,
      expiration_ms: expiresAt,
    };
  });
}
