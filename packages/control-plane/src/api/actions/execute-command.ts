import { arns, idOf, InvalidParameterException, splitCommand, StevedoreError } from '@stevedore/core';
import type { RequestContext } from '../context';
import { Params } from '../params';
import { requireCluster } from '../lookups';
import { ExecRefusal, type ExecGrant } from '../../exec/exec-relay';
import { relayExecGrant } from '../../exec/exec-grant-relay';

/** ECS's words when a task cannot take a session (not enabled, or its exec agent not running yet). */
export const EXEC_NOT_ENABLED =
  "The execute command failed because execute command was not enabled when the task was run or the execute command agent isn't running. Wait and try again or run a new task with execute command enabled and try again.";

const HOST = /^[A-Za-z0-9.-]+(:\d{1,5})?$|^\[[0-9A-Fa-f:.]+\](:\d{1,5})?$/;

/**
 * ExecuteCommand (docs/design/ecs-exec.md): checks what ECS checks, then
 * returns ECS's session shape. The session's stream is a WebSocket on this
 * same endpoint, claimed with the single-use token; `stevedore exec` is its
 * client (the AWS CLI's execute-command needs AWS's Session Manager plugin).
 * Authorization (ecs:ExecuteCommand on the cluster and the task) happened
 * before this runs; the agent checks the task again when the stream opens.
 * When another replica holds the agent's session, the session is created
 * there (exec/exec-grant-relay.ts) after the same checks here; its token
 * names that replica, so the stream may land on any replica.
 */
export async function executeCommand(ctx: RequestContext, body: unknown) {
  const p = Params.of(body);
  const cluster = requireCluster(ctx, p);
  const taskRef = p.requiredString('task', { max: 2048 });
  const commandLine = p.requiredString('command', { max: 4096 });
  const interactive = p.boolean('interactive');
  if (interactive === undefined) throw new InvalidParameterException('interactive is required.', 'interactive');
  if (!interactive) throw new InvalidParameterException('Interactive is the only mode supported currently.', 'interactive');
  const containerName = p.string('container', { max: 255 });
  const command = splitCommand(commandLine);
  const relay = ctx.exec;
  if (!relay) throw new StevedoreError('ServerException', 'Execute command sessions are not served by this endpoint.', { httpStatus: 500 });

  const task = ctx.store.tasks.get(idOf(taskRef));
  if (!task || task.clusterName !== cluster.name) throw new InvalidParameterException('The specified task was not found.', 'task');
  if (!task.enableExecuteCommand || task.lastStatus !== 'RUNNING' || task.desiredStatus !== 'RUNNING' || !task.containerInstanceId) {
    throw new InvalidParameterException(EXEC_NOT_ENABLED, 'task');
  }
  if (containerName === undefined && task.containers.length > 1) {
    throw new InvalidParameterException(`The task has ${task.containers.length} containers (${task.containers.map((c) => c.name).join(', ')}): name one in container.`, 'container');
  }
  const container = containerName === undefined ? task.containers[0] : task.containers.find((c) => c.name === containerName);
  if (!container) throw new InvalidParameterException(`The container ${containerName} was not found in the task.`, 'container');
  if (container.status !== 'RUNNING') throw new InvalidParameterException(EXEC_NOT_ENABLED, 'container');
  const taskArn = arns.task(ctx.arn, task.clusterName, task.id);
  const grant: ExecGrant = {
    cluster: cluster.name,
    taskId: task.id,
    taskArn,
    containerName: container.name,
    instanceId: task.containerInstanceId,
    command,
    accessKeyId: ctx.caller.accessKeyId,
    principal: ctx.caller.arn,
  };
  let session: { sessionId: string; token: string; holder?: string };
  if (relay.connected(task.containerInstanceId)) {
    try {
      session = relay.create(grant);
    } catch (e) {
      if (e instanceof ExecRefusal) throw new StevedoreError('LimitExceededException', e.message, { retryable: true });
      throw e;
    }
  } else {
    const relayed = ctx.relay ? await relayExecGrant(ctx.relay, grant, ctx.log) : undefined;
    if (!relayed) throw new StevedoreError('TargetNotConnectedException', 'The execute command failed due to an internal error. Try again later.', { retryable: true });
    session = relayed;
  }
  const host = ctx.requestHost !== undefined && HOST.test(ctx.requestHost) ? ctx.requestHost : '127.0.0.1';
  ctx.log.info({ cluster: cluster.name, task: taskArn, container: container.name, execSession: session.sessionId, ...(session.holder ? { heldBy: session.holder } : {}) }, session.holder ? 'execute command session granted by the replica holding the agent session' : 'execute command session granted');
  return {
    clusterArn: arns.cluster(ctx.arn, cluster.name),
    containerArn: arns.container(ctx.arn, task.clusterName, task.id, container.id),
    containerName: container.name,
    interactive: true,
    session: {
      sessionId: session.sessionId,
      streamUrl: `${ctx.streamScheme ?? 'ws'}://${host}/v1/exec/${session.sessionId}`,
      tokenValue: session.token,
    },
    taskArn,
  };
}
